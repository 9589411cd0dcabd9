import type { CommandOverride } from '../src/model.js';

// In RESP3 the (un)subscribe commands are answered by push messages, not replies, and each
// channel gets its own confirmation: a plain method would wait for a reply that never comes.
// The client's subscribe()/psubscribe()/ssubscribe() (and unsubscribes) handle them.
const pubsub: CommandOverride = {
  reason: 'answered by push confirmations, one per channel: client.subscribe() & co. handle them',
  method: false,
};

export const subscribe: CommandOverride = pubsub;
export const unsubscribe: CommandOverride = pubsub;
export const psubscribe: CommandOverride = pubsub;
export const punsubscribe: CommandOverride = pubsub;
export const ssubscribe: CommandOverride = pubsub;
export const sunsubscribe: CommandOverride = pubsub;
