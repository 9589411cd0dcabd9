/**
 * @pyrsedis/falkordb — the FalkorDB graph add-on of @pyrsedis/client: graph queries decoded in one
 * pass from the wire bytes into rows of typed values (Node, Edge, Path, Point, temporal values,
 * vectors), safe parameters, a schema cache checked against the server's schema version.
 */
export {
  GraphError,
  GraphNotFoundError,
  GraphResentError,
  GraphSyntaxError,
  GraphTimeoutError,
} from './errors.js';
export {
  type ConstraintSpec,
  FalkorDB,
  type FalkorDBOptions,
  falkordb,
  Graph,
  type IndexSpec,
  type QueryOptions,
  type QueryResult,
} from './graph.js';
export {
  type CypherParams,
  type CypherTypedArray,
  type CypherValue,
  Float,
  float,
  formatParams,
  ParamError,
  withParams,
} from './params.js';
export { CompactParser, type CompactResult, type RowShape, type SchemaNames } from './parser.js';
export {
  Duration,
  Edge,
  LocalDate,
  LocalDateTime,
  LocalTime,
  Node,
  Path,
  Point,
  type Properties,
  type QueryStats,
} from './values.js';
