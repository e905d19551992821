// Mapping raw label values to class names: `--classes "benign=2,3;malignant=4a,4b,4c,5"` groups
// DDTI's TI-RADS grades into two classes. Without a mapping every distinct raw value is a class.

export interface ClassMap {
  /** Class names in the order given (the order of the head's outputs). */
  classes: string[];
  /** The class of a raw label value, or undefined when the mapping leaves it out. */
  classOf(raw: string): string | undefined;
}

/** Parses `name=v1,v2;name2=v3`. Throws naming the offending part. */
export function parseClassMap(spec: string): ClassMap {
  const byValue = new Map<string, string>();
  const classes: string[] = [];
  for (const part of spec
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq).trim();
    const values =
      eq < 0
        ? []
        : part
            .slice(eq + 1)
            .split(',')
            .map((v) => v.trim())
            .filter(Boolean);
    if (!name || values.length === 0) throw new Error(`--classes: '${part}' is not of the form name=value1,value2`);
    if (classes.includes(name)) throw new Error(`--classes: class '${name}' is given twice`);
    classes.push(name);
    for (const v of values) {
      const previous = byValue.get(v);
      if (previous) throw new Error(`--classes: label value '${v}' is in both '${previous}' and '${name}'`);
      byValue.set(v, name);
    }
  }
  if (classes.length < 2) throw new Error(`--classes: '${spec}' defines ${classes.length} class(es); classification needs at least 2`);
  return { classes, classOf: (raw) => byValue.get(raw) };
}

/** The identity mapping over the values seen (sorted, so the class order does not depend on file order). */
export function identityClassMap(values: Iterable<string>): ClassMap {
  const classes = [...new Set(values)].sort();
  const known = new Set(classes);
  return { classes, classOf: (raw) => (known.has(raw) ? raw : undefined) };
}
