// Page-wide keys (the canvas handles its own: arrows, Enter, N, B). Ignored while typing in a field.
export interface ShortcutActions {
  undo(): void;
  redo(): void;
  clear(): void;
  addObject(): void;
  cycleObject(step: 1 | -1): void;
  choose(candidate: number): void;
  open(): void;
}

export function installShortcuts(actions: ShortcutActions): void {
  document.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
    const ctrl = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    let handled = true;
    if (ctrl && key === 'z' && !e.shiftKey) actions.undo();
    else if (ctrl && (key === 'y' || (key === 'z' && e.shiftKey))) actions.redo();
    else if (ctrl && key === 'o') actions.open();
    else if (ctrl || e.altKey) handled = false;
    else if (e.key === 'Delete' || e.key === 'Backspace') actions.clear();
    else if (key === 'o') actions.addObject();
    else if (e.key === '[') actions.cycleObject(-1);
    else if (e.key === ']') actions.cycleObject(1);
    else if (/^[1-4]$/.test(e.key)) actions.choose(Number(e.key) - 1);
    else handled = false;
    if (handled) e.preventDefault();
  });
}
