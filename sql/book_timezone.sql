--
-- The first book day is today's date in ledger.book_timezone, not in
-- whatever time zone the installing session happens to have (README,
-- Installing; Configuration).  Pacific/Kiritimati (UTC+14) and
-- Pacific/Pago_Pago (UTC-11) are 25 hours apart: their dates always differ.
--
DROP EXTENSION ledger CASCADE;
SET TimeZone = 'UTC';
SET ledger.book_timezone = 'Pacific/Kiritimati';
CREATE EXTENSION ledger;
SELECT ledger.current_book_date() = (now() AT TIME ZONE 'Pacific/Kiritimati')::date AS kiritimati_today;
SELECT ledger.current_book_date() AS d \gset
DROP EXTENSION ledger;
SET ledger.book_timezone = 'Pacific/Pago_Pago';
CREATE EXTENSION ledger;
SELECT ledger.current_book_date() = (now() AT TIME ZONE 'Pacific/Pago_Pago')::date AS pago_pago_today,
       ledger.current_book_date() < :'d'::date AS a_day_or_two_earlier;
-- empty: the session's TimeZone
DROP EXTENSION ledger;
RESET ledger.book_timezone;
SHOW ledger.book_timezone;
SET TimeZone = 'Pacific/Kiritimati';
CREATE EXTENSION ledger;
SELECT ledger.current_book_date() = :'d'::date AS session_time_zone;
-- a name the server does not know is refused
SET ledger.book_timezone = 'Mars/Olympus_Mons';
-- only a superuser sets it
CREATE ROLE regress_book_tz;
SET ROLE regress_book_tz;
SET ledger.book_timezone = 'Asia/Shanghai';
RESET ROLE;
DROP ROLE regress_book_tz;
RESET TimeZone;
-- leave the extension as the other tests find it
DROP EXTENSION ledger;
CREATE EXTENSION ledger;
