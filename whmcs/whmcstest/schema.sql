-- WHMCS-shaped tables for tests and the local demo.
--
-- This is not the WHMCS schema. WHMCS publishes no schema reference, so
-- the tables below follow a schema-only dump of one production WHMCS 8.x
-- database on MariaDB 10.11. They contain the columns the bridge reads or
-- writes and the NOT NULL columns around them. They keep the quirks of
-- that dump: utf8mb3 tables, '0000-00-00' date defaults, enums, a few
-- nullable columns, and text NOT NULL columns without defaults, which
-- every INSERT must supply. Where the dump showed no type, the type is a guess
-- that keeps those quirks.
--
-- Load it with: mariadb DBNAME < whmcs/whmcstest/schema.sql
-- Statements end with ";" at the end of a line, which the Go loader in
-- this package relies on.

-- The same strict sql_mode as the bridge's sessions. It must not contain
-- NO_ZERO_DATE, which rejects the '0000-00-00' defaults below.
SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';
SET NAMES utf8mb4;

CREATE TABLE tblclients (
  id int(10) NOT NULL AUTO_INCREMENT,
  uuid varchar(255) NOT NULL DEFAULT '',
  firstname text NOT NULL,
  lastname text NOT NULL,
  companyname text NOT NULL,
  email text NOT NULL,
  address1 text NOT NULL,
  address2 text NOT NULL,
  city text NOT NULL,
  state text NOT NULL,
  postcode text NOT NULL,
  country text NOT NULL,
  phonenumber text NOT NULL,
  tax_id varchar(128) NOT NULL DEFAULT '',
  password text NOT NULL,
  authmodule text NOT NULL,
  authdata text NOT NULL,
  currency int(10) NOT NULL,
  defaultgateway text NOT NULL,
  credit decimal(16,2) NOT NULL,
  taxexempt tinyint(1) NOT NULL,
  latefeeoveride tinyint(1) NOT NULL,
  overideduenotices tinyint(1) NOT NULL,
  separateinvoices tinyint(1) NOT NULL,
  disableautocc tinyint(1) NOT NULL,
  datecreated date NOT NULL,
  notes text NOT NULL,
  billingcid int(10) NOT NULL,
  securityqid int(10) NOT NULL,
  securityqans text NOT NULL,
  groupid int(10) NOT NULL,
  cardtype varchar(255) NOT NULL DEFAULT '',
  cardlastfour text NOT NULL,
  cardnum blob NOT NULL,
  lastlogin datetime DEFAULT NULL,
  ip text NOT NULL,
  host text NOT NULL,
  status enum('Active','Inactive','Closed') NOT NULL DEFAULT 'Active',
  language text NOT NULL,
  pwresetkey text NOT NULL,
  emailoptout int(1) NOT NULL,
  marketing_emails_opt_in tinyint(1) unsigned NOT NULL DEFAULT 0,
  overrideautoclose int(1) NOT NULL,
  allow_sso tinyint(1) NOT NULL DEFAULT 1,
  email_verified tinyint(1) NOT NULL DEFAULT 0,
  email_preferences text DEFAULT NULL,
  created_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  pwresetexpiry timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY firstname_lastname (firstname(32),lastname(32)),
  KEY email (email(64)),
  KEY client_status_id (status,id),
  KEY lastlogin (lastlogin)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblusers (
  id int(10) unsigned NOT NULL AUTO_INCREMENT,
  first_name varchar(255) NOT NULL DEFAULT '',
  last_name varchar(255) NOT NULL DEFAULT '',
  email varchar(255) NOT NULL DEFAULT '',
  password varchar(255) NOT NULL DEFAULT '',
  language varchar(32) NOT NULL DEFAULT '',
  second_factor varchar(255) NOT NULL DEFAULT '',
  second_factor_config text DEFAULT NULL,
  remember_token varchar(100) NOT NULL DEFAULT '',
  reset_token varchar(255) NOT NULL DEFAULT '',
  security_question_id int(10) unsigned NOT NULL DEFAULT 0,
  security_question_answer varchar(255) NOT NULL DEFAULT '',
  last_ip varchar(64) NOT NULL DEFAULT '',
  last_hostname varchar(255) NOT NULL DEFAULT '',
  last_login timestamp NULL DEFAULT NULL,
  email_verification_token varchar(100) NOT NULL DEFAULT '',
  email_verification_token_expiry timestamp NULL DEFAULT NULL,
  email_verified_at timestamp NULL DEFAULT NULL,
  reset_token_expiry timestamp NULL DEFAULT NULL,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblusers_clients (
  id int(10) unsigned NOT NULL AUTO_INCREMENT,
  auth_user_id int(10) unsigned NOT NULL DEFAULT 0,
  client_id int(10) unsigned NOT NULL DEFAULT 0,
  invite_id int(10) unsigned NOT NULL DEFAULT 0,
  owner tinyint(3) unsigned NOT NULL DEFAULT 0,
  permissions text DEFAULT NULL,
  last_login timestamp NULL DEFAULT NULL,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY tblusers_clients_auth_user_id_client_id_unique (auth_user_id,client_id),
  KEY tblusers_clients_client_id_owner_index (client_id,owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblproducts (
  id int(10) NOT NULL AUTO_INCREMENT,
  type text NOT NULL,
  gid int(10) NOT NULL,
  name text NOT NULL,
  slug varchar(128) NOT NULL DEFAULT '',
  description text NOT NULL,
  hidden tinyint(1) NOT NULL,
  showdomainoptions tinyint(1) NOT NULL,
  welcomeemail int(10) NOT NULL DEFAULT 0,
  stockcontrol tinyint(1) NOT NULL,
  qty int(10) NOT NULL DEFAULT 0,
  paytype text NOT NULL,
  allowqty int(1) NOT NULL,
  subdomain text NOT NULL,
  autosetup text NOT NULL,
  servertype text NOT NULL,
  servergroup int(10) NOT NULL,
  configoption1 text NOT NULL,
  configoption2 text NOT NULL,
  configoption3 text NOT NULL,
  configoption4 text NOT NULL,
  configoption5 text NOT NULL,
  configoption6 text NOT NULL,
  configoption7 text NOT NULL,
  configoption8 text NOT NULL,
  configoption9 text NOT NULL,
  configoption10 text NOT NULL,
  configoption11 text NOT NULL,
  configoption12 text NOT NULL,
  configoption13 text NOT NULL,
  configoption14 text NOT NULL,
  configoption15 text NOT NULL,
  configoption16 text NOT NULL,
  configoption17 text NOT NULL,
  configoption18 text NOT NULL,
  configoption19 text NOT NULL,
  configoption20 text NOT NULL,
  configoption21 text NOT NULL,
  configoption22 text NOT NULL,
  configoption23 text NOT NULL,
  configoption24 text NOT NULL,
  freedomain text NOT NULL,
  recurringcycles int(2) NOT NULL,
  autoterminatedays int(4) NOT NULL,
  autoterminateemail int(10) NOT NULL DEFAULT 0,
  configoptionsupgrade tinyint(1) NOT NULL,
  billingcycleupgrade text NOT NULL,
  upgradeemail int(10) NOT NULL DEFAULT 0,
  overagesenabled varchar(10) NOT NULL,
  overagesdisklimit int(10) NOT NULL,
  overagesbwlimit int(10) NOT NULL,
  overagesdiskprice decimal(6,4) NOT NULL,
  overagesbwprice decimal(6,4) NOT NULL,
  tax tinyint(1) NOT NULL,
  `order` int(10) NOT NULL DEFAULT 0,
  retired tinyint(1) NOT NULL,
  is_featured tinyint(1) NOT NULL,
  color varchar(32) NOT NULL DEFAULT '',
  tagline varchar(255) NOT NULL DEFAULT '',
  short_description varchar(255) NOT NULL DEFAULT '',
  created_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblservers (
  id int(10) NOT NULL AUTO_INCREMENT,
  name text NOT NULL,
  ipaddress text NOT NULL,
  assignedips text NOT NULL,
  hostname text NOT NULL,
  monthlycost decimal(16,2) NOT NULL DEFAULT 0.00,
  noc text NOT NULL,
  statusaddress text NOT NULL,
  nameserver1 text NOT NULL,
  nameserver1ip text NOT NULL,
  nameserver2 text NOT NULL,
  nameserver2ip text NOT NULL,
  nameserver3 text NOT NULL,
  nameserver3ip text NOT NULL,
  nameserver4 text NOT NULL,
  nameserver4ip text NOT NULL,
  nameserver5 text NOT NULL,
  nameserver5ip text NOT NULL,
  maxaccounts int(10) NOT NULL DEFAULT 0,
  type text NOT NULL,
  username text NOT NULL,
  password text NOT NULL,
  accesshash text NOT NULL,
  secure text NOT NULL,
  port int(8) DEFAULT NULL,
  active int(1) NOT NULL,
  disabled int(1) NOT NULL,
  created_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblhosting (
  id int(10) NOT NULL AUTO_INCREMENT,
  userid int(10) NOT NULL,
  orderid int(10) NOT NULL,
  packageid int(10) NOT NULL,
  server int(10) NOT NULL,
  regdate date NOT NULL,
  domain text NOT NULL,
  paymentmethod text NOT NULL,
  qty int(10) unsigned NOT NULL DEFAULT 1,
  firstpaymentamount decimal(16,2) NOT NULL DEFAULT 0.00,
  amount decimal(16,2) NOT NULL DEFAULT 0.00,
  billingcycle text NOT NULL,
  nextduedate date DEFAULT NULL,
  nextinvoicedate date NOT NULL,
  termination_date date NOT NULL DEFAULT '0000-00-00',
  completed_date date NOT NULL DEFAULT '0000-00-00',
  domainstatus enum('Pending','Active','Suspended','Terminated','Cancelled','Fraud','Completed') NOT NULL DEFAULT 'Pending',
  username text NOT NULL,
  password text NOT NULL,
  notes text NOT NULL,
  subscriptionid text NOT NULL,
  recommendation_source_product_id int(10) unsigned NOT NULL DEFAULT 0,
  promoid int(10) NOT NULL,
  promocount int(10) DEFAULT 0,
  suspendreason text NOT NULL,
  overideautosuspend tinyint(1) NOT NULL,
  overidesuspenduntil date NOT NULL,
  dedicatedip text NOT NULL,
  assignedips text NOT NULL,
  ns1 text NOT NULL,
  ns2 text NOT NULL,
  diskusage int(10) NOT NULL DEFAULT 0,
  disklimit int(10) NOT NULL DEFAULT 0,
  bwusage int(10) NOT NULL DEFAULT 0,
  bwlimit int(10) NOT NULL DEFAULT 0,
  upsell_from_products text DEFAULT NULL,
  lastupdate datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  created_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY userid (userid),
  KEY orderid (orderid),
  KEY productid (packageid),
  KEY serverid (server),
  KEY domain (domain(64)),
  KEY domainstatus (domainstatus),
  KEY username (username(8))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblhostingconfigoptions (
  id int(10) NOT NULL AUTO_INCREMENT,
  relid int(10) NOT NULL,
  configid int(10) NOT NULL,
  optionid int(10) NOT NULL,
  qty int(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblnotes (
  id int(10) NOT NULL AUTO_INCREMENT,
  userid int(10) NOT NULL,
  adminid int(10) NOT NULL DEFAULT 0,
  created datetime NOT NULL,
  modified datetime NOT NULL,
  note text NOT NULL,
  sticky int(1) NOT NULL,
  PRIMARY KEY (id),
  KEY userid (userid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tbladmins (
  id int(10) NOT NULL AUTO_INCREMENT,
  uuid varchar(255) NOT NULL DEFAULT '',
  roleid int(1) NOT NULL,
  username text NOT NULL,
  password varchar(255) NOT NULL DEFAULT '',
  passwordhash varchar(255) NOT NULL DEFAULT '',
  authmodule text NOT NULL,
  authdata text NOT NULL,
  firstname text NOT NULL,
  lastname text NOT NULL,
  email text NOT NULL,
  signature text NOT NULL,
  notes text NOT NULL,
  template text NOT NULL,
  language text NOT NULL,
  disabled int(1) NOT NULL,
  loginattempts int(1) NOT NULL,
  supportdepts text NOT NULL,
  ticketnotifications text NOT NULL,
  homewidgets text NOT NULL,
  password_reset_key varchar(255) NOT NULL DEFAULT '',
  password_reset_data text NOT NULL,
  password_reset_expiry timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  hidden_widgets text NOT NULL,
  widget_order text NOT NULL,
  user_preferences mediumtext DEFAULT NULL,
  mixpanel_tracking_enabled tinyint(1) NOT NULL DEFAULT 0,
  created_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY username (username(32))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblcustomfields (
  id int(10) NOT NULL AUTO_INCREMENT,
  type text NOT NULL,
  relid int(10) NOT NULL DEFAULT 0,
  fieldname text NOT NULL,
  fieldtype text NOT NULL,
  description text NOT NULL,
  fieldoptions text NOT NULL,
  regexpr text NOT NULL,
  adminonly text NOT NULL,
  required text NOT NULL,
  showorder text NOT NULL,
  showinvoice text NOT NULL,
  sortorder int(10) NOT NULL DEFAULT 0,
  created_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblcustomfieldsvalues (
  id int(10) unsigned NOT NULL AUTO_INCREMENT,
  fieldid int(10) NOT NULL,
  relid int(10) NOT NULL,
  value text NOT NULL,
  created_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY fieldid_relid (fieldid,relid),
  KEY relid (relid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblconfiguration (
  setting varchar(64) NOT NULL,
  value mediumtext NOT NULL,
  UNIQUE KEY setting (setting)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tbladdonmodules (
  module text NOT NULL,
  setting text NOT NULL,
  value text NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblmodulelog (
  id int(10) NOT NULL AUTO_INCREMENT,
  date datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  module text NOT NULL,
  action text NOT NULL,
  request mediumtext NOT NULL,
  response mediumtext NOT NULL,
  arrdata mediumtext NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;

CREATE TABLE tblactivitylog (
  id int(10) NOT NULL AUTO_INCREMENT,
  date datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  description text NOT NULL,
  user text NOT NULL,
  userid int(10) unsigned NOT NULL DEFAULT 0,
  user_id int(10) unsigned NOT NULL DEFAULT 0,
  admin_id int(10) unsigned NOT NULL DEFAULT 0,
  ipaddr text NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci;
