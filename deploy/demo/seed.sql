-- Sample WHMCS data for the demo: one client, one ostor-bridge product, the daemon's server record
-- and a pending storage service, as WHMCS stores them right after an order.
--
-- WHMCS fills every "text NOT NULL" column on insert; this file names only the columns that
-- matter and lets a non-strict session fill the rest with empty strings and zero dates.
SET SESSION sql_mode = '';
SET NAMES utf8mb4;

INSERT INTO tblclients (id, firstname, lastname, companyname, email, datecreated, status)
VALUES (1, 'Zoë', 'O''Connor', 'Example Hosting Customer Ltd', 'zoë.o''connor+s3@example.com', CURDATE(), 'Active');

-- A note an admin wrote earlier; the daemon must leave it alone.
INSERT INTO tblnotes (userid, adminid, created, modified, note, sticky)
VALUES (1, 1, NOW(), NOW(), 'Called about pricing, wants 500 GB later.', 0);

INSERT INTO tblproducts (id, type, gid, name, servertype, autosetup, paytype)
VALUES (1, 'other', 1, 'S3 Object Storage 100 GB', 'ostorbridge', 'payment', 'recurring');

-- The daemon's address and RPC secret live in the server record; the demo script passes the
-- secret to PHP itself instead of storing it here.
INSERT INTO tblservers (id, name, hostname, type, active, disabled)
VALUES (1, 'ostor-bridge', 'localhost', 'ostorbridge', 1, 0);

INSERT INTO tblhosting (id, userid, orderid, packageid, server, regdate, domain, paymentmethod, billingcycle, domainstatus)
VALUES (1, 1, 1, 1, 1, CURDATE(), '', 'banktransfer', 'Monthly', 'Pending');
