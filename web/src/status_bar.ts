// Progress and messages: a live status line with a progress bar, and an alert for errors that stays
// until dismissed or replaced (so a failed file cannot go unnoticed).
export class StatusBar {
  constructor(
    private readonly text: HTMLElement,
    private readonly bar: HTMLProgressElement,
    private readonly alertBox: HTMLElement,
    private readonly alertText: HTMLElement,
    dismiss: HTMLButtonElement,
  ) {
    dismiss.addEventListener('click', () => this.clearError());
  }

  /** fraction undefined: busy without a known amount; null: idle. */
  progress(stage: string, fraction?: number | null): void {
    this.text.textContent = stage;
    if (fraction === null) {
      this.bar.hidden = true;
      return;
    }
    this.bar.hidden = false;
    if (fraction === undefined) this.bar.removeAttribute('value');
    else this.bar.value = fraction;
  }

  error(message: string): void {
    this.alertText.textContent = message;
    this.alertBox.hidden = false;
  }

  clearError(): void {
    this.alertBox.hidden = true;
    this.alertText.textContent = '';
  }
}
