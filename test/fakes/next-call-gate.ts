/** Holds the next call of a fake (a slow node, a slow kill) until the test releases it. */
export class NextCallGate {
  #gate: Promise<void> | null = null;

  /** Arms the gate; the next `pass` waits until the returned function is called. */
  hold(): () => void {
    let release = (): void => undefined;
    this.#gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return release;
  }

  /** Called by the fake at the start of the call: waits when armed, and disarms. */
  async pass(): Promise<void> {
    const gate = this.#gate;
    this.#gate = null;
    if (gate) await gate;
  }
}
