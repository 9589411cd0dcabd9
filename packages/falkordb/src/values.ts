// The values a graph query returns, besides JS scalars, arrays and objects. Plain classes with
// public fields: cheap to build in the decoder's single pass, easy to inspect and serialise.

/** A property map: names to values. Null-prototype free: keys such as `__proto__` are own data. */
export type Properties = Record<string, unknown>;

/** A node: its internal id (reused after deletion: never cache by it), labels and properties. */
export class Node {
  /** Internal id; the server reuses ids of deleted nodes. */
  readonly id: number;
  /**
   * Label names, in the server's order. Read-only: nodes that carry a single label share one
   * frozen array per label (most nodes have one; a shared array spares one allocation per node).
   */
  readonly labels: readonly string[];
  /** Property names to values. */
  readonly properties: Properties;

  constructor(id: number, labels: readonly string[], properties: Properties) {
    this.id = id;
    this.labels = labels;
    this.properties = properties;
  }
}

/** A relationship: its id, type, endpoints (the stored direction) and properties. */
export class Edge {
  /** Internal id (a separate id space from nodes'; reused after deletion). */
  readonly id: number;
  /** The relationship type's name. */
  readonly type: string;
  /** Id of the node the edge starts from. */
  readonly sourceId: number;
  /** Id of the node the edge points to. */
  readonly destinationId: number;
  /** Property names to values. */
  readonly properties: Properties;

  constructor(id: number, type: string, sourceId: number, destinationId: number, properties: Properties) {
    this.id = id;
    this.type = type;
    this.sourceId = sourceId;
    this.destinationId = destinationId;
    this.properties = properties;
  }
}

/** A path: nodes in traversal order and the edges between them (`nodes.length === edges.length + 1`). */
export class Path {
  /** Nodes, in traversal order. */
  readonly nodes: Node[];
  /** Edges, each with its real direction (not the traversal's). */
  readonly edges: Edge[];

  constructor(nodes: Node[], edges: Edge[]) {
    this.nodes = nodes;
    this.edges = edges;
  }
}

/** A geographic point. The server stores coordinates as 32-bit floats (`32.0705` → `32.070499420166`). */
export class Point {
  /** Latitude in degrees. */
  readonly latitude: number;
  /** Longitude in degrees. */
  readonly longitude: number;

  constructor(latitude: number, longitude: number) {
    this.latitude = latitude;
    this.longitude = longitude;
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function isoDate(date: Date): string {
  const year = date.getUTCFullYear();
  const y = year < 0 ? `-${pad(-year, 6)}` : year > 9999 ? `+${pad(year, 6)}` : pad(year, 4);
  return `${y}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

function isoTime(secondsOfDay: number): string {
  return `${pad(Math.floor(secondsOfDay / 3600))}:${pad(Math.floor(secondsOfDay / 60) % 60)}:${pad(secondsOfDay % 60)}`;
}

/**
 * A `localdatetime()`: a date and time of day without a time zone, to the second (the server
 * drops fractions). `epochSeconds` counts from 1970-01-01T00:00:00 reading the value as UTC.
 */
export class LocalDateTime {
  /** Seconds since 1970-01-01T00:00:00, the local date-time read as if it were UTC. */
  readonly epochSeconds: number;

  constructor(epochSeconds: number) {
    this.epochSeconds = epochSeconds;
  }

  /** A `Date` whose UTC fields are this date-time's fields. */
  toDate(): Date {
    return new Date(this.epochSeconds * 1000);
  }

  /** `2024-01-15T10:30:45`. */
  toString(): string {
    const day = Math.floor(this.epochSeconds / 86400);
    return `${isoDate(this.toDate())}T${isoTime(this.epochSeconds - day * 86400)}`;
  }

  /** The ISO text, so JSON carries it readably. */
  toJSON(): string {
    return this.toString();
  }
}

/** A `date()`: a calendar date without a time zone. */
export class LocalDate {
  /** Days since 1970-01-01 (negative before). */
  readonly epochDays: number;

  constructor(epochDays: number) {
    this.epochDays = epochDays;
  }

  /** A `Date` at that day's midnight UTC. */
  toDate(): Date {
    return new Date(this.epochDays * 86_400_000);
  }

  /** `2024-01-15`. */
  toString(): string {
    return isoDate(this.toDate());
  }

  /** The ISO text. */
  toJSON(): string {
    return this.toString();
  }
}

/** A `localtime()`: a time of day without a zone, to the second. */
export class LocalTime {
  /** Seconds since midnight, 0..86399. */
  readonly secondsOfDay: number;

  constructor(secondsOfDay: number) {
    this.secondsOfDay = secondsOfDay;
  }

  /** `10:30:45`. */
  toString(): string {
    return isoTime(this.secondsOfDay);
  }

  /** The ISO text. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * A `duration()`, as the server keeps it: a number of seconds (months and years are folded in
 * with calendar arithmetic from 1970-01-01, so `P1M` and `P31D` are the same value).
 */
export class Duration {
  /** Total seconds (may be negative). */
  readonly seconds: number;

  constructor(seconds: number) {
    this.seconds = seconds;
  }

  /** ISO 8601 in days and time (`P1DT12H`): the server's months cannot be recovered. */
  toString(): string {
    const sign = this.seconds < 0 ? '-' : '';
    let rest = Math.abs(this.seconds);
    const days = Math.floor(rest / 86400);
    rest -= days * 86400;
    const h = Math.floor(rest / 3600);
    const m = Math.floor(rest / 60) % 60;
    const s = rest % 60;
    const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
    if (days === 0 && time === '') return 'PT0S';
    return `${sign}P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
  }

  /** The ISO text. */
  toJSON(): string {
    return this.toString();
  }
}

/** The statistics of a query (the server's own lines, parsed). Counters absent from the reply are 0. */
export interface QueryStats {
  /** Labels added (new labels for CREATE; per-node assignments for SET n:L). */
  labelsAdded: number;
  /** Label assignments removed. */
  labelsRemoved: number;
  /** Nodes created. */
  nodesCreated: number;
  /** Nodes deleted. */
  nodesDeleted: number;
  /** Properties set (setting a property to its current value does not count). */
  propertiesSet: number;
  /** Properties removed (`SET x = null` counts here). */
  propertiesRemoved: number;
  /** Relationships created. */
  relationshipsCreated: number;
  /** Relationships deleted. */
  relationshipsDeleted: number;
  /** Indexes created. */
  indicesCreated: number;
  /** Indexes dropped. */
  indicesDeleted: number;
  /** Constraints created. */
  constraintsCreated: number;
  /** Constraints dropped. */
  constraintsDeleted: number;
  /** The plan came from the server's cache (parameterised queries reuse plans). */
  cachedExecution: boolean;
  /** "Query internal execution time": the server's share, excluding queueing and reply writing. */
  executionTimeMs: number;
  /** Every statistics line as the server sent it. */
  raw: string[];
}
