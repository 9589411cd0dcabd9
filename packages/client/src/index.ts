/**
 * @pyrsedis/client — the package boundary exists so that the build, exports map and
 * dependency direction are in place; its API lands with its own issue (see README.md).
 */

/** The npm name of this package. */
export const packageName = '@pyrsedis/client' as const;
