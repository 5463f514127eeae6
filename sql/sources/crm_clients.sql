-- title: Clients as uploaded
-- description: The shop's clients, one row per client_id, from uploaded sales workbooks (docs/retail.md). The
--   job clients (sql/jobs/clients.sql) adds their loyalty figures and is the clients table of MySQL.
-- topic: crm.clients
-- format: plain
-- mysql: off
create table crm_clients (
  client_id varchar primary key,
  name      varchar not null,
  city      varchar,
  email     varchar
);
