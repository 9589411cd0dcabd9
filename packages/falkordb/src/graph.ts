// The graph API: falkordb(client) → db.graph(name) → query / roQuery / queryStream, management
// commands, and the schema cache that resolves label, type and property-key ids (kept honest with
// the server's schema `version`, protocol doc §1.7).
import {
  type Client,
  type ClientOptions,
  createClient,
  type QueuedOptions,
  type Session,
  TimeoutError,
  withOptions,
} from '@pyrsedis/client';
import { GraphNotFoundError, GraphResentError, graphError } from './errors.js';
import { type CypherParams, withParams } from './params.js';
import { CompactParser, type CompactResult, type RowShape, type SchemaNames } from './parser.js';
import { setKey } from './rows.js';
import type { QueryStats } from './values.js';

/** Options of one query. */
export interface QueryOptions {
  /** Parameters, sent in the `CYPHER k=v` header (safely quoted: see params.ts). */
  params?: CypherParams;
  /** Server-side limit in ms (`TIMEOUT`): the server stops the query and answers GraphTimeoutError. */
  timeout?: number;
  /** Client-side end-to-end deadline in ms (the client's `timeoutMs`). */
  timeoutMs?: number;
  /** Cancels the call (the client's `AbortSignal` support). */
  signal?: AbortSignal;
  /** Rows as objects keyed by column name (default) or as arrays in column order. */
  rowShape?: RowShape;
}

/** What a query returns. `Row` types the rows: `g.query<{ name: string }>(...)`. */
export interface QueryResult<Row = Record<string, unknown>> {
  /** Column names (`RETURN` aliases or expressions as written). */
  columns: string[];
  /** One entry per row: objects by default, arrays with `rowShape: 'array'`. */
  rows: Row[];
  /** The server's statistics, parsed. */
  stats: QueryStats;
}

/** An index: what `createIndex` / `dropIndex` take (statements built with quoted identifiers). */
export interface IndexSpec {
  /** `range` (exact match and ranges), `fulltext` (RediSearch) or `vector` (HNSW). */
  kind: 'range' | 'fulltext' | 'vector';
  /** Index nodes of a label or relationships of a type. */
  entity: 'node' | 'relationship';
  /** The label or relationship type. */
  label: string;
  /** The indexed properties (one for vector indexes). */
  properties: readonly string[];
  /**
   * Vector options: `dimension` (required), `similarityFunction` ('euclidean' | 'cosine'), `M`,
   * `efConstruction`, `efRuntime`; full-text options: `language`, `stopwords` (a list), ...
   */
  options?: Record<string, string | number | readonly string[]>;
}

/** A constraint: what `createConstraint` / `dropConstraint` take (`GRAPH.CONSTRAINT`). */
export interface ConstraintSpec {
  /** `UNIQUE` needs a range index on exactly these properties; `MANDATORY` does not. */
  type: 'UNIQUE' | 'MANDATORY';
  /** Constrain nodes of a label or relationships of a type. */
  entity: 'node' | 'relationship';
  /** The label or relationship type. */
  label: string;
  /** The constrained properties (1..255). */
  properties: readonly string[];
}

/** A Cypher identifier in backticks; names with a backtick or NUL are refused. */
function identifier(name: string, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('`') || name.includes('\0'))
    throw new TypeError(
      `${what} must be a non-empty string without backticks or NUL, got ${JSON.stringify(name)}`,
    );
  return `\`${name}\``;
}

function optionValue(value: string | number | readonly string[]): string {
  // A list (full-text `stopwords`): a Cypher list of its quoted strings.
  if (Array.isArray(value)) return `[${value.map((item: string) => optionValue(String(item))).join(', ')}]`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`index option values must be finite, got ${value}`);
    return String(value);
  }
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function indexStatement(verb: 'CREATE' | 'DROP', spec: IndexSpec): string {
  const kind = spec.kind === 'range' ? '' : spec.kind === 'fulltext' ? 'FULLTEXT ' : 'VECTOR ';
  if (!['range', 'fulltext', 'vector'].includes(spec.kind))
    throw new TypeError(`unknown index kind ${String(spec.kind)}`);
  const v = spec.entity === 'node' ? 'n' : 'r';
  const pattern =
    spec.entity === 'node'
      ? `(n:${identifier(spec.label, 'label')})`
      : `()-[r:${identifier(spec.label, 'relationship type')}]-()`;
  if (!Array.isArray(spec.properties) || spec.properties.length === 0)
    throw new TypeError('an index needs at least one property');
  const on = spec.properties.map((p) => `${v}.${identifier(p, 'property')}`).join(', ');
  let statement = `${verb} ${kind}INDEX FOR ${pattern} ON (${on})`;
  if (verb === 'CREATE' && spec.options !== undefined) {
    const entries = Object.entries(spec.options).map(
      ([k, value]) => `${identifier(k, 'option')}: ${optionValue(value)}`,
    );
    statement += ` OPTIONS {${entries.join(', ')}}`;
  }
  return statement;
}

/** The statistics of two statements as one: counts and times added, raw lines of both. */
function sumStats(a: QueryStats, b: QueryStats): QueryStats {
  const sum = { ...a, raw: [...a.raw, ...b.raw], cachedExecution: a.cachedExecution && b.cachedExecution };
  for (const key of Object.keys(sum) as (keyof QueryStats)[]) {
    const value = b[key];
    if (typeof value === 'number') (sum as Record<string, unknown>)[key] = (a[key] as number) + value;
  }
  return sum;
}

/**
 * A map reply as a plain object, the same over RESP2 (a flat [key, value, ...] array) and RESP3
 * (a map), `depth` levels down (GRAPH.MEMORY USAGE nests per-label and per-type maps).
 */
function plainMap(reply: unknown, depth: number): unknown {
  if (depth === 0 || reply === null || typeof reply !== 'object' || reply instanceof Error) return reply;
  const out: Record<string, unknown> = {};
  if (Array.isArray(reply)) {
    if (reply.length % 2 !== 0) return reply;
    for (let i = 0; i + 1 < reply.length; i += 2)
      setKey(out, String(reply[i]), plainMap(reply[i + 1], depth - 1));
  } else {
    for (const [key, value] of Object.entries(reply)) setKey(out, key, plainMap(value, depth - 1));
  }
  return out;
}

/** A query's deadline and signal for one attempt: what `sendCommand` takes. */
interface SendTiming {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A query's `timeoutMs` as one deadline from the call, and its signal, over everything the query
 * does: the wait for a connection, every attempt (a resend after a version mismatch gets what is
 * left) and the schema refreshes it waits for (a refresh shared with other queries goes on; only
 * this query stops waiting).
 */
class Budget {
  readonly #deadline: number | undefined;
  readonly #timeoutMs: number | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #command: string;

  constructor(timeoutMs: number | undefined, signal: AbortSignal | undefined, command: string) {
    this.#timeoutMs = timeoutMs;
    this.#deadline =
      timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY
        ? undefined
        : performance.now() + timeoutMs;
    this.#signal = signal;
    this.#command = command;
  }

  /** The client, or a view of it bounded by this budget (for the wait for a leased connection). */
  client(client: Client): Client {
    if (this.#timeoutMs === undefined && this.#signal === undefined) return client;
    return withOptions(client, { timeoutMs: this.#timeoutMs, signal: this.#signal });
  }

  /** The options of the next attempt: what is left of the deadline (a TimeoutError when none). */
  timing(): SendTiming {
    if (this.#deadline === undefined) return { timeoutMs: this.#timeoutMs, signal: this.#signal };
    const left = Math.floor(this.#deadline - performance.now());
    if (left < 1) throw this.#timedOut();
    return { timeoutMs: left, signal: this.#signal };
  }

  /** `work` awaited until the deadline or the signal, whichever comes first. */
  bound<T>(work: Promise<T>): Promise<T> {
    const signal = this.#signal;
    if (this.#deadline === undefined && signal === undefined) return work;
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => finish(() => reject(signal!.reason));
      const finish = (settle: () => void): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#deadline !== undefined) {
        timer = setTimeout(
          () => finish(() => reject(this.#timedOut())),
          Math.max(0, this.#deadline - performance.now()),
        );
      }
      work.then(
        (value) => finish(() => resolve(value)),
        (err: unknown) => finish(() => reject(err)),
      );
    });
  }

  #timedOut(): TimeoutError {
    return new TimeoutError(`no reply within ${this.#timeoutMs} ms (waiting for the graph's schema)`, {
      command: this.#command,
      mayHaveExecuted: false,
    });
  }
}

const NO_BUDGET = new Budget(undefined, undefined, '');

/** Options of {@link falkordb}. */
export interface FalkorDBOptions {
  /**
   * Send the schema `version` with every query, so that a graph deleted and recreated elsewhere
   * is detected before names are resolved with a stale cache (default true; the official clients
   * have no such check and return wrong names then).
   */
  versionCheck?: boolean;
}

/** Whether `names` has every id a reader found missing. */
function covers(names: SchemaNames, need: ReturnType<CompactParser['missing']>): boolean {
  return (
    need.labels < names.labels.length &&
    need.relationshipTypes < names.relationshipTypes.length &&
    need.propertyKeys < names.propertyKeys.length
  );
}

/**
 * Per client, how many times a connection became ready: cached names are dropped when it changed.
 * A restarted server reloads graphs with versions computed again (from property keys only, protocol
 * doc §1.7): a graph recreated elsewhere can come back with the version we know and other names.
 */
const epochs = new WeakMap<Client, { n: number }>();

function connectionEpoch(client: Client): { n: number } {
  const known = epochs.get(client);
  if (known !== undefined) return known;
  const epoch = { n: 0 };
  epochs.set(client, epoch);
  // One listener per client, however many FalkorDB handles wrap it.
  client.on('ready', () => {
    epoch.n++;
  });
  return epoch;
}

/** GRAPH.CONFIG fields that are yes/no (booleans over RESP3, 1/0 over RESP2). */
const BOOLEAN_CONFIG = new Set(['ASYNC_DELETE', 'CMD_INFO', 'DELAY_INDEXING']);

/** A command on the client's shared connection; server errors become their graph classes. */
function graphCommand(client: Client, argv: (string | number)[]): Promise<unknown> {
  return client.sendCommand(argv).catch((err: unknown) => {
    throw graphError(err);
  });
}

/** Appends the server-side `TIMEOUT <ms>` of a query, refusing what the server would misread. */
function pushTimeout(argv: (string | number)[], timeout: number | undefined): void {
  if (timeout === undefined) return;
  if (!Number.isInteger(timeout) || timeout < 0)
    throw new TypeError(`timeout must be a non-negative integer of ms, got ${String(timeout)}`);
  argv.push('TIMEOUT', timeout);
}

/**
 * The names of one graph, fetched in one round trip, and the schema version they are known to be
 * at least as new as — published together, so that a query never sends a version newer than the
 * names it decodes with (the server would run it and the ids would get stale names).
 */
class Schema {
  names: SchemaNames = { labels: [], relationshipTypes: [], propertyKeys: [] };
  /**
   * The version sent with queries: the one `names` were fetched at (the fetch itself runs with a
   * version check), undefined while unknown.
   */
  version: number | undefined = undefined;
  /** The latest version learned from a `version mismatch` reply, not yet published with names. */
  #learned: number | undefined = undefined;
  #refreshing: Promise<void> | undefined;
  /** A fetch queued behind the one in flight, for callers that need names newer than its start. */
  #after: Promise<void> | undefined;
  readonly #fetch: (version: number | undefined) => Promise<FetchedNames>;

  /** `fetch(version)`: the names, and the version they are exactly (a first guess given). */
  constructor(fetch: (version: number | undefined) => Promise<FetchedNames>) {
    this.#fetch = fetch;
  }

  /** A `version mismatch` reply said the server is at `version`: the next fetch publishes it. */
  learn(version: number): void {
    this.#learned = version;
  }

  /**
   * Fetches all three lists; concurrent callers share one fetch. `fresh`: the caller learned of a
   * change (a `version mismatch`) — a fetch already in flight may have begun before it and
   * return the old names, so a new one is made after it (shared by such callers in turn).
   */
  refresh(fresh = false): Promise<void> {
    if (fresh && this.#refreshing !== undefined) {
      this.#after ??= this.#refreshing
        .catch(() => {})
        .then(() => {
          this.#after = undefined;
          return this.refresh();
        });
      return this.#after;
    }
    // The fetch starts from the newest version known and corrects it on a mismatch: the names
    // it returns are exactly its version's (a version published next to newer names, or older
    // ones, would let a graph recreated elsewhere pass the check with wrong names).
    this.#refreshing ??= this.#fetch(this.#learned ?? this.version)
      .then((fetched) => {
        this.names = fetched.names;
        this.version = fetched.version;
      })
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  clear(): void {
    this.names = { labels: [], relationshipTypes: [], propertyKeys: [] };
    this.version = undefined;
    this.#learned = undefined;
  }
}

/** Names fetched, and the schema version they are (undefined: not known). */
interface FetchedNames {
  names: SchemaNames;
  version: number | undefined;
}

const SCHEMA_QUERY =
  'CALL { CALL db.labels() YIELD label RETURN collect(label) AS l } ' +
  'CALL { CALL db.relationshipTypes() YIELD relationshipType RETURN collect(relationshipType) AS r } ' +
  'CALL { CALL db.propertyKeys() YIELD propertyKey RETURN collect(propertyKey) AS p } RETURN l, r, p';

/** A FalkorDB server, through a @pyrsedis/client. */
export class FalkorDB implements AsyncDisposable {
  /** The client graph commands go through. */
  readonly client: Client;
  readonly #options: FalkorDBOptions;
  readonly #graphs = new Map<string, Graph>();
  readonly #ownsClient: boolean;

  constructor(client: Client, options: FalkorDBOptions = {}, ownsClient = false) {
    this.client = client;
    this.#options = options;
    this.#ownsClient = ownsClient;
  }

  /**
   * Connects a client of its own (for users coming from the official `falkordb` package): options
   * or a URL — `redis://`, `rediss://`, or the official client's `falkor://` / `falkors://`.
   */
  static async connect(options?: ClientOptions | string, falkor: FalkorDBOptions = {}): Promise<FalkorDB> {
    // The official client's URL schemes: falkor:// and falkors:// (TLS) are redis:// and rediss://.
    const scheme = (url: string): string => url.replace(/^falkor(s?):\/\//i, 'redis$1://');
    const resolved =
      typeof options === 'string'
        ? scheme(options)
        : options?.url !== undefined
          ? { ...options, url: scheme(options.url) }
          : options;
    const client = await createClient(resolved).connect();
    return new FalkorDB(client, falkor, true);
  }

  /** The graph stored at key `name` (one handle, and one schema cache, per name). */
  graph(name: string): Graph {
    let graph = this.#graphs.get(name);
    if (graph === undefined) {
      graph = new Graph(this, name, this.#options);
      this.#graphs.set(name, graph);
    }
    return graph;
  }

  #command(argv: (string | number)[]): Promise<unknown> {
    return graphCommand(this.client, argv);
  }

  /** `GRAPH.LIST`: the graph keys of this server. */
  async list(): Promise<string[]> {
    return (await this.#command(['GRAPH.LIST'])) as string[];
  }

  /** `GRAPH.CONFIG GET name` (`*` for all): field names to values. */
  async configGet(name: string): Promise<Record<string, unknown>> {
    const reply = (await this.#command(['GRAPH.CONFIG', 'GET', name])) as unknown[];
    const out: Record<string, unknown> = {};
    const pairs = Array.isArray(reply[0]) ? (reply as unknown[][]) : [reply];
    for (const [key, value] of pairs) {
      const field = String(key);
      // RESP2 has no booleans: the yes/no fields arrive as 1/0 there, as true/false over RESP3.
      out[field] = BOOLEAN_CONFIG.has(field) && typeof value === 'number' ? value !== 0 : value;
    }
    return out;
  }

  /** `GRAPH.CONFIG SET name value`. */
  async configSet(name: string, value: string | number | boolean): Promise<void> {
    await this.#command([
      'GRAPH.CONFIG',
      'SET',
      name,
      typeof value === 'boolean' ? (value ? 'yes' : 'no') : value,
    ]);
  }

  /** `GRAPH.INFO [section]`: running and waiting queries, as the server lists them. */
  async info(section?: 'RunningQueries' | 'WaitingQueries' | 'ObjectPool'): Promise<unknown> {
    return this.#command(section === undefined ? ['GRAPH.INFO'] : ['GRAPH.INFO', section]);
  }

  /** `GRAPH.UDF LOAD [REPLACE] lib code`: a JavaScript function library, called in Cypher as `lib.fn()`. */
  async udfLoad(library: string, code: string, options: { replace?: boolean } = {}): Promise<void> {
    await this.#command(
      options.replace
        ? ['GRAPH.UDF', 'LOAD', 'REPLACE', library, code]
        : ['GRAPH.UDF', 'LOAD', library, code],
    );
  }

  /**
   * `GRAPH.UDF LIST [lib] [WITHCODE]`: one `{ library_name, functions, library_code? }` per
   * library, over RESP2 and RESP3 alike.
   */
  async udfList(library?: string, options: { withCode?: boolean } = {}): Promise<Record<string, unknown>[]> {
    const argv = [
      'GRAPH.UDF',
      'LIST',
      ...(library ? [library] : []),
      ...(options.withCode ? ['WITHCODE'] : []),
    ];
    return ((await this.#command(argv)) as unknown[]).map(
      (library) => plainMap(library, 1) as Record<string, unknown>,
    );
  }

  /** `GRAPH.UDF DELETE lib`. */
  async udfDelete(library: string): Promise<void> {
    await this.#command(['GRAPH.UDF', 'DELETE', library]);
  }

  /** `GRAPH.UDF FLUSH`: every library. */
  async udfFlush(): Promise<void> {
    await this.#command(['GRAPH.UDF', 'FLUSH']);
  }

  /** Closes the client if `connect()` made it. */
  async close(): Promise<void> {
    if (this.#ownsClient) await this.client.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A FalkorDB server behind a @pyrsedis/client: `falkordb(client).graph('social').query(...)`. */
export function falkordb(client: Client, options?: FalkorDBOptions): FalkorDB {
  return new FalkorDB(client, options);
}

/** Rows waiting for a slow consumer before the socket stops being read. */
const STREAM_HIGH_WATER = 10_000;

/** One graph: queries and management commands, with its schema cache. */
export class Graph {
  /** The graph's key. */
  readonly name: string;
  readonly #db: FalkorDB;
  readonly #schema: Schema;
  readonly #versionCheck: boolean;
  /** Pipelined queries re-sent after a version mismatch, chained in their pipeline's order. */
  #resends: Promise<unknown> = Promise.resolve();

  /** @internal Use `db.graph(name)`. */
  constructor(db: FalkorDB, name: string, options: FalkorDBOptions) {
    this.#db = db;
    this.name = name;
    this.#versionCheck = options.versionCheck !== false;
    this.#schema = new Schema((version) => this.#fetchNames(version));
    this.#epoch = connectionEpoch(db.client);
    this.#seen = this.#epoch.n;
  }

  readonly #epoch: { n: number };
  #seen: number;

  /** The schema cache, emptied first if the client reconnected since it was filled. */
  #names(): Schema {
    if (this.#seen !== this.#epoch.n) {
      this.#seen = this.#epoch.n;
      this.#schema.clear();
    }
    return this.#schema;
  }

  /**
   * The graph's names and their version: the schema query runs with a version check (starting
   * from `version`, 0 if unknown); a mismatch is learned and the query sent again, so a reply
   * means the names are exactly that version's. (Without the check, `versionCheck: false`, the
   * version stays unknown.)
   */
  async #fetchNames(version: number | undefined): Promise<FetchedNames> {
    let guess = version ?? 0;
    for (let attempt = 0; ; attempt++) {
      const reader = new CompactParser(
        { labels: [], relationshipTypes: [], propertyKeys: [] },
        { rowShape: 'array' },
      );
      // A schema changing under every attempt: the last one goes unchecked, its version unknown.
      const checked = this.#versionCheck && attempt < 5;
      const argv: (string | number)[] = ['GRAPH.RO_QUERY', this.name, SCHEMA_QUERY, '--compact'];
      if (checked) argv.push('version', guess);
      let result: CompactResult;
      try {
        result = (await this.#db.client.sendCommand(argv, undefined, { reader })) as CompactResult;
      } catch (err) {
        const typed = graphError(err);
        if (typed instanceof GraphNotFoundError)
          return { names: { labels: [], relationshipTypes: [], propertyKeys: [] }, version: undefined };
        throw typed;
      }
      if (result.versionMismatch !== undefined) {
        guess = result.versionMismatch;
        continue;
      }
      const [labels, relationshipTypes, propertyKeys] = result.rows[0] as string[][];
      return {
        names: { labels: labels!, relationshipTypes: relationshipTypes!, propertyKeys: propertyKeys! },
        version: checked ? guess : undefined,
      };
    }
  }

  #command(argv: (string | number)[]): Promise<unknown> {
    return graphCommand(this.#db.client, argv);
  }

  /**
   * The names cached for this graph (labels, relationship types, property keys by id); empty
   * after a reconnect until a query fetches them again (the cache is dropped then).
   */
  get schema(): Readonly<SchemaNames> {
    return this.#names().names;
  }

  /** Runs a query (`GRAPH.QUERY ... --compact`): rows decoded straight from the bytes. */
  query<Row = Record<string, unknown>>(
    cypher: string,
    options: QueryOptions = {},
  ): Promise<QueryResult<Row>> {
    return this.#query('GRAPH.QUERY', cypher, options) as Promise<QueryResult<Row>>;
  }

  /** A read-only query (`GRAPH.RO_QUERY`): refused if it writes; may run on replicas. */
  roQuery<Row = Record<string, unknown>>(
    cypher: string,
    options: QueryOptions = {},
  ): Promise<QueryResult<Row>> {
    return this.#query('GRAPH.RO_QUERY', cypher, options) as Promise<QueryResult<Row>>;
  }

  /**
   * Rows as they are decoded, while the rest of the reply is still arriving: the first row is
   * available before the last byte, and reading from the socket pauses while the consumer is
   * more than 10,000 rows behind. (The server builds the whole result before sending it.)
   */
  queryStream<Row = Record<string, unknown>>(
    cypher: string,
    options: QueryOptions = {},
  ): AsyncGenerator<Row> {
    return this.#stream('GRAPH.QUERY', cypher, options) as AsyncGenerator<Row>;
  }

  /** {@link queryStream} with `GRAPH.RO_QUERY`. */
  roQueryStream<Row = Record<string, unknown>>(
    cypher: string,
    options: QueryOptions = {},
  ): AsyncGenerator<Row> {
    return this.#stream('GRAPH.RO_QUERY', cypher, options) as AsyncGenerator<Row>;
  }

  /**
   * Queues a query on a `client.pipeline()`: it goes out in the pipeline's single write and is
   * decoded by the same one-pass parser. The promise settles with its result once the pipeline
   * ran (the pipeline's own slot holds the raw decoded form). Should the server answer `version
   * mismatch` (the graph's names changed; the query did not run), the query is sent again on its
   * own after the names are refreshed — so it then runs after the pipeline's other commands.
   * A failure rejects the promise and is also in place in `exec()`'s results; a promise nobody
   * awaits is not reported as an unhandled rejection. No `timeoutMs` or `signal` of its own: the
   * pipeline is one unit (give them to the pipeline: `withOptions(client, {...}).pipeline()`).
   *
   * ```ts
   * const pipe = client.pipeline();
   * const friends = g.queue(pipe, 'MATCH (:Person {id: $id})-[:KNOWS]->(f) RETURN f', { params: { id: 1 } });
   * pipe.incr('lookups');
   * await pipe.exec();
   * (await friends).rows;
   * ```
   */
  queue<Row = Record<string, unknown>>(
    pipeline: { addCommand(argv: (string | number)[], options?: QueuedOptions): unknown },
    cypher: string,
    options: Omit<QueryOptions, 'timeoutMs' | 'signal'> & {
      readOnly?: boolean;
      /** Not here: a pipeline's deadline and signal are the pipeline's (see above). */
      timeoutMs?: never;
      /** Not here: a pipeline's deadline and signal are the pipeline's (see above). */
      signal?: never;
    } = {},
  ): Promise<QueryResult<Row>> {
    if (options.timeoutMs !== undefined || options.signal !== undefined) {
      // A queued query has no deadline or signal of its own: the pipeline is one unit.
      return Promise.reject(
        new TypeError(
          'g.queue() takes no timeoutMs or signal: they apply to the whole pipeline ' +
            '(make it from withOptions(client, { timeoutMs, signal }).pipeline())',
        ),
      );
    }
    const command = options.readOnly ? 'GRAPH.RO_QUERY' : 'GRAPH.QUERY';
    const parser = new CompactParser(this.#names().names, { rowShape: options.rowShape });
    const queued = new Promise<CompactResult>((resolve, reject) => {
      let raw: CompactResult | undefined;
      pipeline.addCommand(this.#argv(command, withParams(cypher, options.params), options), {
        reader: parser,
        // exec()'s slot: the result as query() gives it (ids the cache lacked are named in it once
        // this promise settles), or a GraphResentError for a query that did not run there.
        transform: (reply) => {
          raw = reply as CompactResult;
          if (raw.versionMismatch !== undefined)
            return new GraphResentError(
              `${command} not run in the pipeline (the graph's schema changed): sent again on its own; ` +
                'its result is the promise g.queue() returned',
              { command },
            );
          return { columns: raw.columns, rows: raw.rows, stats: raw.stats };
        },
        onSettled: (error) => (error === undefined ? resolve(raw!) : reject(graphError(error))),
      });
    }).then(async (result) => {
      if (result.versionMismatch !== undefined) {
        // Not executed. Sent again after the refresh — one after another, in the order the
        // pipeline's replies settle (its order), never concurrently on separate connections.
        this.#schema.learn(result.versionMismatch);
        const resent = this.#resends.then(async () => {
          await this.#schema.refresh(true);
          return this.#query(command, cypher, options);
        });
        this.#resends = resent.catch(() => {});
        return resent;
      }
      if (result.unresolved) await this.#resolve(parser);
      return { columns: result.columns, rows: result.rows as Row[], stats: result.stats };
    }) as Promise<QueryResult<Row>>;
    // It settles while `exec()` runs, usually before anyone awaits it: never an unhandled
    // rejection (the error is also in place in the pipeline's results).
    queued.catch(() => {});
    return queued;
  }

  #argv(command: string, text: string, options: QueryOptions, versioned = true): (string | number)[] {
    const argv: (string | number)[] = [command, this.name, text, '--compact'];
    pushTimeout(argv, options.timeout);
    if (this.#versionCheck && versioned) argv.push('version', this.#schema.version ?? 0);
    return argv;
  }

  /**
   * Sends one query, handling the schema: a `version mismatch` (the query did not run) refreshes
   * the names and sends it again; ids the names lack are resolved after one refresh.
   */
  async #run(
    command: string,
    cypher: string,
    options: QueryOptions,
    budget: Budget,
    session: Session,
    onRow?: (row: unknown, reader: CompactParser) => void,
  ): Promise<QueryResult> {
    const text = withParams(cypher, options.params);
    for (let attempt = 0; ; attempt++) {
      const reader: CompactParser = new CompactParser(this.#names().names, {
        rowShape: options.rowShape,
        onRow: onRow && ((row) => onRow(row, reader)),
      });
      let result: CompactResult;
      try {
        // A schema that keeps changing (concurrent writers adding keys) would mismatch forever:
        // the last attempt, right after a fresh refresh, goes without the check — ids newer than
        // that refresh are resolved after the reply like any unknown id.
        const argv = this.#argv(command, text, options, attempt < 3);
        result = (await session.sendCommand(argv, undefined, {
          ...budget.timing(),
          reader,
        })) as CompactResult;
      } catch (err) {
        throw graphError(err);
      }
      if (result.versionMismatch !== undefined) {
        // Not executed: the graph's names changed (or it was recreated). Refetch, resend.
        this.#schema.learn(result.versionMismatch);
        await budget.bound(this.#schema.refresh(true));
        continue;
      }
      if (result.unresolved) await this.#resolve(reader, budget);
      return { columns: result.columns, rows: result.rows as QueryResult['rows'], stats: result.stats };
    }
  }

  /** Ids newer than the cache: refresh (shared with concurrent queries) until they are known. */
  async #resolve(reader: CompactParser, budget: Budget = NO_BUDGET): Promise<void> {
    for (let i = 0; i < 2; i++) {
      await budget.bound(this.#schema.refresh());
      if (covers(this.#schema.names, reader.missing())) break;
    }
    reader.resolve(this.#schema.names);
  }

  async #query(command: string, cypher: string, options: QueryOptions): Promise<QueryResult> {
    const budget = new Budget(options.timeoutMs, options.signal, command);
    // One query per connection at a time on the server: concurrent queries lease connections
    // (the wait for one counts in the deadline).
    return budget
      .client(this.#db.client)
      .isolated((session) => this.#run(command, cypher, options, budget, session));
  }

  async *#stream(command: string, cypher: string, options: QueryOptions): AsyncGenerator<unknown> {
    const queue: unknown[] = [];
    let head = 0;
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    let held: unknown[] = [];
    let refreshing = false;
    /** Refreshes in a row that did not cover the held rows' ids. */
    let misses = 0;
    let gaveUp = false;
    let session: Session | undefined;
    let paused = false;
    let left = false;
    const budget = new Budget(options.timeoutMs, options.signal, command);
    const finished = budget
      .client(this.#db.client)
      .isolated(async (s) => {
        session = s;
        try {
          return await this.#run(command, cypher, options, budget, s, (row, reader) => {
            if (left) return; // the consumer is gone: the rest of the reply is read and dropped
            // Ids the cache lacks: names refreshed while the reply is read (by this stream or by
            // another query) resolve them at once when they cover them.
            if (reader.unresolved && held.length === 0 && covers(this.#schema.names, reader.missing()))
              reader.resolve(this.#schema.names);
            // Else the row waits (with every later row, to keep their order) for a refresh.
            if (held.length > 0 || reader.unresolved) {
              held.push(row);
              if (!refreshing && !gaveUp) {
                // Names newer than this row: a refresh begun after it (one in flight may have
                // read the schema before the query created the ids).
                refreshing = true;
                const release = (): void => {
                  refreshing = false;
                  if (left) return;
                  if (covers(this.#schema.names, reader.missing())) {
                    misses = 0;
                    reader.resolve(this.#schema.names);
                    for (const waiting of held) queue.push(waiting);
                    held = [];
                  } else if (++misses >= 2) {
                    // Never expected (the ids exist once the reply is sent): the rows wait for the
                    // end of the reply, where #run refreshes again and reports what is missing.
                    gaveUp = true;
                    if (paused) {
                      paused = false;
                      s.resumeReading();
                    }
                  } else {
                    refreshing = true;
                    void this.#schema.refresh(true).then(release, release);
                  }
                  wake?.();
                };
                void this.#schema.refresh(true).then(release, release);
              }
            } else queue.push(row);
            if (!paused && !gaveUp && queue.length - head + held.length > STREAM_HIGH_WATER) {
              paused = true;
              s.pauseReading();
            }
            wake?.();
          });
        } finally {
          // The session ends with this callback: a connection still paused (the reply ended, or
          // failed, while the consumer was behind) would go back to the pool unable to read —
          // the next query on it would never be answered.
          if (paused) {
            paused = false;
            s.resumeReading();
          }
        }
      })
      .then(() => {
        // One by one: a spread of 100k+ held rows overflows the call stack.
        for (const row of held) queue.push(row);
        held = [];
        done = true;
        wake?.();
      })
      .catch((err: unknown) => {
        failure = err;
        done = true;
        wake?.();
      });
    try {
      for (;;) {
        while (head < queue.length) {
          // Aborted: no more rows, even those already decoded (the reply is still read to its end).
          if (options.signal?.aborted) throw options.signal.reason;
          const row = queue[head];
          queue[head++] = undefined;
          if (paused && queue.length - head < STREAM_HIGH_WATER / 2) {
            paused = false;
            session?.resumeReading();
          }
          yield row;
        }
        if (head > 65_536) {
          queue.splice(0, head);
          head = 0;
        }
        if (done) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      if (failure !== undefined) throw failure;
    } finally {
      left = true;
      queue.length = 0;
      if (paused) session?.resumeReading();
      if (!done) {
        // The consumer left early: the reply is still read to its end (the connection stays in
        // step), its rows dropped.
        await finished;
      }
    }
  }

  /**
   * The compact reply as the server sends it, decoded generically: `[header, rows, stats]` with
   * `[type, value]` cells and label / type / property-key ids unresolved — for those who want ids.
   * No version check, no schema cache involved.
   */
  async queryRaw(cypher: string, options: QueryOptions & { readOnly?: boolean } = {}): Promise<unknown[]> {
    const argv: (string | number)[] = [
      options.readOnly ? 'GRAPH.RO_QUERY' : 'GRAPH.QUERY',
      this.name,
      withParams(cypher, options.params),
      '--compact',
    ];
    pushTimeout(argv, options.timeout);
    try {
      return (await this.#db.client.isolated((session) =>
        session.sendCommand(argv, undefined, { timeoutMs: options.timeoutMs, signal: options.signal }),
      )) as unknown[];
    } catch (err) {
      throw graphError(err);
    }
  }

  /** `GRAPH.EXPLAIN`: the execution plan, one line per operation (the query does not run). */
  async explain(cypher: string, options: { params?: CypherParams } = {}): Promise<string[]> {
    return this.#plan('GRAPH.EXPLAIN', cypher, options);
  }

  /** `GRAPH.PROFILE`: runs the query (writes happen) and returns the plan with records and times. */
  async profile(cypher: string, options: { params?: CypherParams } = {}): Promise<string[]> {
    return this.#plan('GRAPH.PROFILE', cypher, options);
  }

  async #plan(command: string, cypher: string, options: { params?: CypherParams }): Promise<string[]> {
    const reply = await this.#command([command, this.name, withParams(cypher, options.params)]);
    return Array.isArray(reply) ? (reply as string[]) : [String(reply)];
  }

  /**
   * Forgets the cached names and schema version: the next query fetches them. For the changes the
   * version cannot reveal (see the README's known gaps): a graph replaced by `GRAPH.COPY` or a
   * `RESTORE` from another client, `DEBUG RELOAD`, or recreated with the same names in the same
   * order but of other kinds.
   */
  clearSchema(): void {
    this.#schema.clear();
  }

  /** `GRAPH.DELETE`: removes the graph; its cached names go too. */
  async delete(): Promise<void> {
    try {
      await this.#command(['GRAPH.DELETE', this.name]);
    } finally {
      this.#schema.clear();
    }
  }

  /** `GRAPH.COPY name destination`: a new graph with the same data; returns its handle. */
  async copy(destination: string): Promise<Graph> {
    const target = this.#db.graph(destination);
    await this.#command(['GRAPH.COPY', this.name, destination]);
    target.#schema.clear();
    return target;
  }

  /** `GRAPH.SLOWLOG`: the slowest queries (>= 10 ms, 10 per graph). */
  async slowLog(): Promise<
    { timestamp: Date; command: string; query: string; tookMs: number; params: string | null }[]
  > {
    let reply: unknown[][];
    try {
      reply = (await this.#command(['GRAPH.SLOWLOG', this.name])) as unknown[][];
    } catch (err) {
      if (err instanceof GraphNotFoundError) return []; // no graph, no slow queries
      throw err;
    }
    return reply.map(([timestamp, command, query, took, params]) => ({
      timestamp: new Date(Number(timestamp) * 1000),
      command: String(command),
      query: String(query),
      tookMs: Number(took),
      params: params === null || params === undefined ? null : String(params),
    }));
  }

  /** `GRAPH.SLOWLOG RESET`. */
  async slowLogReset(): Promise<void> {
    await this.#command(['GRAPH.SLOWLOG', this.name, 'RESET']);
  }

  /** Creates an index (`CREATE [FULLTEXT|VECTOR] INDEX FOR ... ON (...)`). */
  async createIndex(spec: IndexSpec): Promise<QueryStats> {
    return (await this.query(indexStatement('CREATE', spec))).stats;
  }

  /**
   * Drops an index: what `createIndex` made with the same spec. The server drops one property's
   * index per statement (`DROP INDEX ... ON (n.a, n.b)` drops `a`'s only, while CREATE indexed
   * both): one DROP per property, their counts added up.
   */
  async dropIndex(spec: IndexSpec): Promise<QueryStats> {
    indexStatement('DROP', spec); // the spec's errors, before anything is sent
    let total: QueryStats | undefined;
    for (const property of spec.properties) {
      const { stats } = await this.query(indexStatement('DROP', { ...spec, properties: [property] }));
      total = total === undefined ? stats : sumStats(total, stats);
    }
    return total!;
  }

  /** The graph's indexes (`CALL db.indexes()`): label, properties, types, options, status, ... */
  async listIndexes(): Promise<Record<string, unknown>[]> {
    return this.#list('CALL db.indexes()');
  }

  /** The rows of a listing procedure; a graph that does not exist has none. */
  async #list(procedure: string): Promise<Record<string, unknown>[]> {
    try {
      return (await this.roQuery<Record<string, unknown>>(procedure)).rows;
    } catch (err) {
      if (err instanceof GraphNotFoundError) return [];
      throw err;
    }
  }

  #constraintArgv(verb: 'CREATE' | 'DROP', spec: ConstraintSpec): (string | number)[] {
    if (spec.type !== 'UNIQUE' && spec.type !== 'MANDATORY')
      throw new TypeError(`unknown constraint type ${String(spec.type)}`);
    if (spec.entity !== 'node' && spec.entity !== 'relationship')
      throw new TypeError(`constraint entity must be 'node' or 'relationship', got ${String(spec.entity)}`);
    if (!Array.isArray(spec.properties) || spec.properties.length === 0 || spec.properties.length > 255)
      throw new TypeError('a constraint needs 1..255 properties');
    return [
      'GRAPH.CONSTRAINT',
      verb,
      this.name,
      spec.type,
      spec.entity === 'node' ? 'NODE' : 'RELATIONSHIP', // checked above: nothing else reaches here
      spec.label,
      'PROPERTIES',
      spec.properties.length,
      ...spec.properties,
    ];
  }

  /**
   * Creates a constraint (`GRAPH.CONSTRAINT CREATE`). The server builds it in the background:
   * `listConstraints()` shows its status go from `UNDER CONSTRUCTION` to `OPERATIONAL`.
   */
  async createConstraint(spec: ConstraintSpec): Promise<void> {
    await this.#command(this.#constraintArgv('CREATE', spec));
  }

  /** Drops a constraint. */
  async dropConstraint(spec: ConstraintSpec): Promise<void> {
    await this.#command(this.#constraintArgv('DROP', spec));
  }

  /** The graph's constraints (`CALL db.constraints()`): type, label, properties, entitytype, status. */
  async listConstraints(): Promise<Record<string, unknown>[]> {
    return this.#list('CALL db.constraints()');
  }

  /** `GRAPH.MEMORY USAGE`: the graph's memory by part, in MB (`samples` 1..10000, default 100). */
  async memoryUsage(options: { samples?: number } = {}): Promise<Record<string, unknown>> {
    const argv: (string | number)[] = ['GRAPH.MEMORY', 'USAGE', this.name];
    if (options.samples !== undefined) argv.push('SAMPLES', options.samples);
    return plainMap(await this.#command(argv), 2) as Record<string, unknown>;
  }
}
