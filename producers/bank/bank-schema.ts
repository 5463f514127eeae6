/**
 * The bank's OLTP tables in MySQL/MariaDB, created by `ticklake generate bank` when missing. Column names follow
 * the public credit-card transaction data sets (use_chip, errors, mcc) so the SQL reads familiar.
 */
export const BANK_TABLES = ['mcc_codes', 'users', 'cards', 'merchants', 'transactions', 'fraud_labels'] as const;

export const BANK_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS mcc_codes (
    mcc SMALLINT PRIMARY KEY,
    description VARCHAR(100) NOT NULL,
    category VARCHAR(40) NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS users (
    user_id INT PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    city VARCHAR(40) NOT NULL,
    state CHAR(2) NOT NULL,
    birth_year SMALLINT NOT NULL,
    yearly_income DECIMAL(12,2) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS cards (
    card_id INT PRIMARY KEY,
    user_id INT NOT NULL,
    brand ENUM('Visa','Mastercard','Amex','Discover') NOT NULL,
    card_type ENUM('Debit','Credit','Prepaid') NOT NULL,
    credit_limit DECIMAL(12,2) NOT NULL,
    has_chip BOOLEAN NOT NULL,
    status ENUM('active','closed') NOT NULL,
    opened_at DATETIME(3) NOT NULL,
    closed_at DATETIME(3) NULL,
    updated_at DATETIME(3) NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS merchants (
    merchant_id INT PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    mcc SMALLINT NOT NULL,
    city VARCHAR(40) NOT NULL,
    state CHAR(2) NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS transactions (
    txn_id BIGINT PRIMARY KEY,
    card_id INT NOT NULL,
    user_id INT NOT NULL,
    merchant_id INT NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    use_chip ENUM('Chip Transaction','Swipe Transaction','Online Transaction') NOT NULL,
    errors VARCHAR(100) NULL,
    txn_time DATETIME(3) NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS fraud_labels (
    txn_id BIGINT PRIMARY KEY,
    is_fraud BOOLEAN NOT NULL,
    labeled_at DATETIME(3) NOT NULL
  )`,
];
