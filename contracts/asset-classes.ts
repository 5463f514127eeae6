/**
 * The asset classes a tick may have, in one place: the tick contract (contracts/tick.ts) validates against them and
 * core/config.ts declares them as the choices of `--asset-class`. A module of its own so the configuration can use
 * them without loading the tick parser.
 */
export const ASSET_CLASSES = ['equity', 'crypto', 'forex', 'index', 'commodity'] as const;
