-- A portfolio none of whose holdings has a price yet (a feed of other symbols) has no NAV: null, with missing_prices
-- saying how many holdings lack one, instead of a NAV of 0 (sql/streams/valuations.sql).
ALTER TABLE `portfolio_valuations` MODIFY `nav` DOUBLE NULL;
-- Trade sizes may be fractions (0.015 BTC), so a bar's volume is one too.
ALTER TABLE `bars` MODIFY `volume` DOUBLE NOT NULL;
