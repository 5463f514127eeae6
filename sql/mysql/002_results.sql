-- Results of the windowing processor, one row per natural key (docs/lake.md), written with
-- INSERT ... ON DUPLICATE KEY UPDATE so that a re-delivered batch updates rows instead of duplicating them.
-- Timestamps are DATETIME(3) in UTC (the sink sets time_zone = '+00:00' on every connection).
-- `window` and `change` are reserved words: always quote them.
-- No foreign keys from results to portfolios: a valuation must never be refused (and block delivery)
-- because the seed files changed; join on portfolio_id when needed.

CREATE TABLE `bars` (
  `symbol` VARCHAR(32) NOT NULL,
  `window` VARCHAR(16) NOT NULL,
  `window_start` DATETIME(3) NOT NULL,
  `window_end` DATETIME(3) NOT NULL,
  `open` DOUBLE NOT NULL,
  `high` DOUBLE NOT NULL,
  `low` DOUBLE NOT NULL,
  `close` DOUBLE NOT NULL,
  `volume` BIGINT NOT NULL,
  `notional` DOUBLE NOT NULL,
  `vwap` DOUBLE NULL,
  `trades` BIGINT NOT NULL,
  `trade_rate` DOUBLE NULL,
  `volatility` DOUBLE NULL,
  `log_return` DOUBLE NULL,
  PRIMARY KEY (`symbol`, `window`, `window_start`),
  KEY `bars_window_start` (`window`, `window_start`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- `window` is '' (never NULL) for per-tick anomalies (SPIKE, FLASH_CRASH): it is part of the primary key.
CREATE TABLE `anomalies` (
  `symbol` VARCHAR(32) NOT NULL,
  `kind` VARCHAR(32) NOT NULL,
  `window` VARCHAR(16) NOT NULL DEFAULT '',
  `ts` DATETIME(3) NOT NULL,
  `severity` VARCHAR(16) NOT NULL,
  `value` DOUBLE NULL,
  `threshold` DOUBLE NULL,
  `price` DOUBLE NULL,
  `kafka_partition` INT NULL,
  `kafka_offset` BIGINT NULL,
  PRIMARY KEY (`symbol`, `kind`, `window`, `ts`),
  KEY `anomalies_ts` (`ts`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE `portfolio_valuations` (
  `portfolio_id` VARCHAR(64) NOT NULL,
  `window` VARCHAR(16) NOT NULL,
  `as_of` DATETIME(3) NOT NULL,
  `investor_id` VARCHAR(64) NOT NULL,
  `nav` DOUBLE NOT NULL,
  `change` DOUBLE NULL,
  `change_pct` DOUBLE NULL,
  `positions` INT NOT NULL,
  `missing_prices` INT NOT NULL,
  PRIMARY KEY (`portfolio_id`, `window`, `as_of`),
  KEY `portfolio_valuations_as_of` (`window`, `as_of`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
