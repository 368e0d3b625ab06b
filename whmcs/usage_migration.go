package whmcs

// usageMigration creates the usage tables.
//
// mod_ostorbridge_usage_objects has one row per usage-statistics object
// whose counters are stored. Its primary key is what makes counting exactly
// once: the row is inserted in the same transaction that adds the
// counters, so a second insert of the same name fails or waits for the
// first transaction to end.
//
// mod_ostorbridge_usage_daily holds the counters per UTC day, WHMCS service
// and S3 user. service_id 0 collects S3 users the bridge does not manage.
// Counters are BIGINT UNSIGNED because byte counts pass 2^32 within hours
// and a sum must never wrap.
var usageMigration = migration{
	version: 7,
	name:    "create mod_ostorbridge_usage_objects and mod_ostorbridge_usage_daily",
	query: `CREATE TABLE IF NOT EXISTS mod_ostorbridge_usage_objects (
	name varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'usage-statistics object name on the gateway',
	period_start datetime NOT NULL COMMENT 'start_ts of the object, UTC',
	period_seconds bigint(20) NOT NULL,
	items bigint(20) unsigned NOT NULL COMMENT 'number of counter records in the object',
	processed_at datetime NOT NULL,
	deleted_at datetime NULL DEFAULT NULL COMMENT 'when the daemon deleted the object from the gateway',
	PRIMARY KEY (name),
	KEY deleted_at (deleted_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
	more: []string{`CREATE TABLE IF NOT EXISTS mod_ostorbridge_usage_daily (
	service_id int(10) NOT NULL COMMENT 'tblhosting.id, 0 = S3 user not managed by the bridge',
	day date NOT NULL COMMENT 'UTC day on which the statistics periods started',
	s3_user_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'ostor UserId',
	ops_put bigint(20) unsigned NOT NULL DEFAULT 0,
	ops_get bigint(20) unsigned NOT NULL DEFAULT 0,
	ops_list bigint(20) unsigned NOT NULL DEFAULT 0,
	ops_other bigint(20) unsigned NOT NULL DEFAULT 0,
	bytes_uploaded bigint(20) unsigned NOT NULL DEFAULT 0,
	bytes_downloaded bigint(20) unsigned NOT NULL DEFAULT 0,
	objects int(10) unsigned NOT NULL DEFAULT 0 COMMENT 'statistics objects that contributed',
	storage_bytes bigint(20) unsigned NULL DEFAULT NULL COMMENT 'bytes stored at the last measurement of the day',
	storage_measured_at datetime NULL DEFAULT NULL,
	updated_at datetime NOT NULL,
	PRIMARY KEY (service_id, day, s3_user_id),
	KEY day (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`},
}
