/**
 * The engine's seam for something outside it that must hold the run's sending for a while: a sink that stays down
 * (docs/decisions/0026), whose rows would otherwise pile up behind it. While held, no request starts (those out
 * finish and are committed as usual); the holder bounds the hold itself and stops the run through its signal when
 * the wait is over.
 */
export interface SendHold {
  readonly isHeld: boolean;
  /** Calls `wake` once, when the hold is released (at once when it is not held). */
  whenReleased(wake: () => void): void;
}
