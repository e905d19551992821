// The objects of the image: colour, editable name, select, delete and per-object mask download.
import { type AnnotationState, OBJECT_COLOURS } from './annotations.js';

export interface ObjectListActions {
  select(id: number): void;
  rename(id: number, name: string): void;
  remove(id: number): void;
  downloadMask(id: number): void;
}

export class ObjectList {
  constructor(
    private readonly list: HTMLOListElement,
    private readonly actions: ObjectListActions,
  ) {}

  render(state: AnnotationState, hasMask: (id: number) => boolean): void {
    const focusedName = document.activeElement instanceof HTMLInputElement && this.list.contains(document.activeElement) ? document.activeElement.dataset.id : undefined;
    this.list.replaceChildren(
      ...state.objects.map((o) => {
        const item = document.createElement('li');
        item.className = o.id === state.activeId ? 'object active' : 'object';
        const [r, g, b] = OBJECT_COLOURS[o.colour];
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = `rgb(${r} ${g} ${b})`;
        swatch.setAttribute('aria-hidden', 'true');

        const select = document.createElement('button');
        select.type = 'button';
        select.className = 'select';
        select.textContent = o.id === state.activeId ? 'Editing' : 'Edit';
        select.setAttribute('aria-pressed', String(o.id === state.activeId));
        select.setAttribute('aria-label', `${o.id === state.activeId ? 'Editing' : 'Edit'} ${o.name}`);
        select.addEventListener('click', () => this.actions.select(o.id));

        const name = document.createElement('input');
        name.type = 'text';
        name.value = o.name;
        name.dataset.id = String(o.id);
        name.setAttribute('aria-label', `Name of object ${o.id}`);
        name.addEventListener('change', () => this.actions.rename(o.id, name.value.trim() || o.name));

        const png = document.createElement('button');
        png.type = 'button';
        png.textContent = 'PNG';
        png.disabled = !hasMask(o.id);
        png.setAttribute('aria-label', `Download the mask of ${o.name} as PNG`);
        png.addEventListener('click', () => this.actions.downloadMask(o.id));

        const remove = document.createElement('button');
        remove.type = 'button';
        remove.textContent = '✕';
        remove.setAttribute('aria-label', `Delete ${o.name}`);
        remove.addEventListener('click', () => this.actions.remove(o.id));

        item.append(swatch, select, name, png, remove);
        return item;
      }),
    );
    if (focusedName) this.list.querySelector<HTMLInputElement>(`input[data-id="${focusedName}"]`)?.focus();
  }
}
