<?php
/**
 * Stand-in for WHMCS's query builder. It supports only the addon settings query of
 * OstorBridge\Settings, table('tbladdonmodules')->where('module', ...)->pluck('value', 'setting'),
 * and returns the settings from OSTORBRIDGE_STANDIN_SETTINGS.
 */

namespace WHMCS\Database;

final class Capsule
{
    public static function table($table)
    {
        return new StandinQuery($table);
    }
}

final class StandinQuery
{
    private $table;
    private $module = null;

    public function __construct($table)
    {
        $this->table = $table;
    }

    public function where($column, $value)
    {
        if ($column === 'module') {
            $this->module = $value;
        }
        return $this;
    }

    public function pluck($valueColumn, $keyColumn)
    {
        if ($this->table !== 'tbladdonmodules' || $this->module !== 'ostorbridge') {
            return [];
        }
        return standin_settings();
    }
}
