// Prettier: the one formatter (`npm run format`; `npm test` runs `npm run format:check`). The options
// are the ones that change the least of the code as it was written: single quotes, and lines up to
// 200 columns (of 100–240, 200 gave the smallest diff; the rest are Prettier's defaults: semicolons,
// trailing commas everywhere, parentheses around every arrow parameter). .prettierignore says what it
// leaves alone.
/** @type {import('prettier').Config} */
export default {
  printWidth: 200,
  singleQuote: true,
};
