// The decoder's four masks for the active object, with their predicted IoU, as a radio group.
const LABELS = ['single mask', 'candidate A', 'candidate B', 'candidate C'];

export class CandidatePicker {
  constructor(
    private readonly group: HTMLElement,
    private readonly onChoose: (candidate: number) => void,
  ) {}

  render(scores: readonly number[] | undefined, areas: readonly number[] | undefined, chosen: number | undefined): void {
    if (!scores || !areas) {
      const empty = document.createElement('p');
      empty.className = 'hint';
      empty.textContent = 'Place a prompt to see the candidate masks.';
      this.group.replaceChildren(empty);
      return;
    }
    this.group.replaceChildren(
      ...scores.map((score, k) => {
        const label = document.createElement('label');
        label.className = 'candidate';
        const radio = document.createElement('input');
        radio.type = 'radio';
        radio.name = 'candidate';
        radio.value = String(k);
        radio.checked = k === chosen;
        radio.addEventListener('change', () => this.onChoose(k));
        const text = document.createElement('span');
        text.textContent = `${k + 1} · ${LABELS[k] ?? `candidate ${k}`}: score ${score.toFixed(3)}, ${areas[k]} px`;
        label.append(radio, text);
        return label;
      }),
    );
  }
}
