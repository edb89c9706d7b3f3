/**
 * In-process listeners of a plugin instance's engine events, besides the websocket and the
 * resource mirror: the HTTP API's `jobs/events` long polls are woken from here (http/event-log.ts).
 *
 * Listeners are keyed by the instance's ResourceMirror because that is the one per-instance object
 * the plugin already hands to `createPublisher` (publisher.ts calls `notifyEngineEventListeners`
 * for every event), so subscribing needed no change to the engine's wiring in `startEngine`.
 */
import type { EngineEvent } from '../events.js';
import { errorMessage } from '../errors.js';

export type EngineEventListener = (event: EngineEvent) => void;

const listeners = new WeakMap<object, Set<EngineEventListener>>();

/** Calls `listener` for every engine event published through `mirror`'s publisher; returns the unsubscribe function. */
export function onEngineEvent(mirror: object, listener: EngineEventListener): () => void {
  let set = listeners.get(mirror);
  if (!set) {
    set = new Set();
    listeners.set(mirror, set);
  }
  set.add(listener);
  return () => void set.delete(listener);
}

/** Called by the publisher. A listener that throws is logged and never breaks publishing. */
export function notifyEngineEventListeners(mirror: object, event: EngineEvent): void {
  const set = listeners.get(mirror);
  if (!set) return;
  for (const listener of set) {
    try {
      listener(event);
    } catch (error) {
      console.error(`background-jobs: an engine event listener failed on ${event.type}: ${errorMessage(error)}`);
    }
  }
}
