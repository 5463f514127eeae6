-- Reference data: investors, their portfolios and the holdings of each portfolio.
-- Loaded from the seed files sql/seeds/*.csv at every start of the MySQL sink (idempotently).
-- Identifiers are quoted throughout: several column names are reserved words in MySQL 8 or MariaDB.

CREATE TABLE `investors` (
  `investor_id` VARCHAR(64) NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  PRIMARY KEY (`investor_id`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE `portfolios` (
  `portfolio_id` VARCHAR(64) NOT NULL,
  `investor_id` VARCHAR(64) NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  PRIMARY KEY (`portfolio_id`),
  KEY `portfolios_investor` (`investor_id`),
  CONSTRAINT `portfolios_investor_fk` FOREIGN KEY (`investor_id`) REFERENCES `investors` (`investor_id`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE `holdings` (
  `portfolio_id` VARCHAR(64) NOT NULL,
  `symbol` VARCHAR(32) NOT NULL,
  `quantity` DOUBLE NOT NULL,
  PRIMARY KEY (`portfolio_id`, `symbol`),
  CONSTRAINT `holdings_portfolio_fk` FOREIGN KEY (`portfolio_id`) REFERENCES `portfolios` (`portfolio_id`)
    ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
