// The measurement table: area of each object's mask in pixels, and in mm² when the image is calibrated.
import type { Measurement } from './export_data.js';

export class MeasurementTable {
  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly mmHeader: HTMLTableCellElement,
    private readonly note: HTMLElement,
  ) {}

  render(rows: readonly Measurement[], calibrated: boolean): void {
    this.mmHeader.hidden = !calibrated;
    this.note.textContent = calibrated ? '' : 'No pixel spacing in this image: areas in pixels only.';
    this.body.replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr');
        const cells = [r.name, String(r.areaPx), ...(calibrated ? [r.areaMm2 !== undefined ? r.areaMm2.toFixed(2) : '—'] : []), r.score.toFixed(3)];
        tr.append(
          ...cells.map((text, i) => {
            const td = document.createElement(i === 0 ? 'th' : 'td');
            if (i === 0) td.setAttribute('scope', 'row');
            td.textContent = text;
            return td;
          }),
        );
        return tr;
      }),
    );
  }
}
