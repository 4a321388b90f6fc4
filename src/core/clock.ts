/** Time is injected: pure code takes `now` as an argument, effectful code takes a Clock. */
export interface Clock {
  now(): Date;
}
