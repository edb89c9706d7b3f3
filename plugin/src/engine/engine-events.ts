/**
 * The engine's events, out of the engine (issue 21): every consumer — the websocket publisher, the
 * resource row mirror, the HTTP API's long polls, the final-row check, `testing.ts`, tests —
 * subscribes here, by event type or to all of them. Events arrive with `seq`, their number in the
 * job's durable log (event-stream.ts), in the order the log holds them.
 *
 * A listener must be cheap (it runs for every task event); one that throws is reported to `onError`
 * and the others still run.
 */
import type { EngineEvent, EngineEventName } from '../events.js';

export type SequencedEngineEvent = EngineEvent & { seq?: number };
type EventOf<K extends EngineEventName> = Extract<EngineEvent, { type: K }> & { seq?: number };

export class EngineEvents {
  private readonly any = new Set<(event: SequencedEngineEvent) => void>();
  private readonly byType = new Map<EngineEventName, Set<(event: SequencedEngineEvent) => void>>();

  constructor(private readonly onError: (error: unknown, event: SequencedEngineEvent) => void = () => {}) {}

  /** Calls `listener` for every event of this type; returns the function that unsubscribes it. */
  on<K extends EngineEventName>(type: K, listener: (event: EventOf<K>) => void): () => void {
    let set = this.byType.get(type);
    if (!set) this.byType.set(type, set = new Set());
    const wrapped = listener as (event: SequencedEngineEvent) => void;
    set.add(wrapped);
    return () => void set.delete(wrapped);
  }

  /** Calls `listener` for every event; returns the function that unsubscribes it. */
  onAny(listener: (event: SequencedEngineEvent) => void): () => void {
    this.any.add(listener);
    return () => void this.any.delete(listener);
  }

  emit(event: SequencedEngineEvent): void {
    for (const listener of this.any) this.call(listener, event);
    const typed = this.byType.get(event.type);
    if (typed) for (const listener of typed) this.call(listener, event);
  }

  private call(listener: (event: SequencedEngineEvent) => void, event: SequencedEngineEvent): void {
    try {
      listener(event);
    } catch (error) {
      try {
        this.onError(error, event);
      } catch {
        // nowhere left to report it
      }
    }
  }
}
