<?php
/**
 * The daemon settings of every PHP entry point of ostor-bridge: the daemon's address and the
 * RPC secret.
 *
 * Module functions, the module's hooks, the addon page and the S3 panel hook all resolve the
 * daemon with Settings::load(), which takes the first source in this order that is configured:
 *
 *  1. "configuration": the OSTOR_BRIDGE_RPC_HOST, OSTOR_BRIDGE_RPC_PORT and
 *     OSTOR_BRIDGE_RPC_SECRET constants, defined in WHMCS's configuration.php. A name that is not
 *     defined as a constant is read from the PHP environment variable of the same name. This
 *     source counts as configured when OSTOR_BRIDGE_RPC_HOST is set either way, or when any of
 *     the three is defined as a constant. OSTOR_BRIDGE_RPC_SECRET alone in the environment does
 *     not count, because it is also the daemon's own variable.
 *  2. "addon": the settings of the "ostor-bridge S3 panel" addon (tbladdonmodules), used when
 *     its RPC secret is set.
 *  3. "server": the WHMCS server record, passed to module functions in $params. Hooks and the
 *     addon have no server record.
 *
 * Sources are never mixed: the first configured source supplies the address and the secret,
 * and a source that has one without the other is an error that names the missing setting.
 * The first two sources always use plain HTTP, which is what the daemon serves.
 *
 * The server record is not a source for hooks. A hook would have to read it from tblservers,
 * whose columns WHMCS does not document, and decrypt its password. The GetServers API command
 * documents no password in its response (WHMCS developer docs, api-reference/getservers).
 */

namespace OstorBridge;

require_once __DIR__ . '/RpcClient.php';

final class Settings
{
    const HOST = 'OSTOR_BRIDGE_RPC_HOST';
    const PORT = 'OSTOR_BRIDGE_RPC_PORT';
    const SECRET = 'OSTOR_BRIDGE_RPC_SECRET';

    const SOURCE_CONFIGURATION = 'configuration';
    const SOURCE_ADDON = 'addon';
    const SOURCE_SERVER = 'server';

    /** Module name of the addon, the `module` column of its tbladdonmodules rows. */
    const ADDON_MODULE = 'ostorbridge';

    /** Instruction on where to set the daemon address and secret, for error messages. */
    const HOW_TO_CONFIGURE = 'define OSTOR_BRIDGE_RPC_HOST (e.g. \'127.0.0.1\' or \'unix:/run/ostor-bridge/rpc.sock\'), OSTOR_BRIDGE_RPC_PORT (empty for 7380) and OSTOR_BRIDGE_RPC_SECRET (the daemon\'s OSTOR_BRIDGE_RPC_SECRET or rpc.secret) in WHMCS\'s configuration.php';

    /** Names of the addon's settings as its configuration page shows them. */
    const ADDON_SETTINGS = 'the "Daemon address" and "RPC secret" settings of the ostor-bridge S3 panel addon';

    /** @var string one of the SOURCE_* constants */
    private $source;

    /** @var array server fields in the shape RpcClient::fromParams reads */
    private $serverFields;

    /** @var string setting names of the address, for messages */
    private $addressSetting;

    /** @var string setting name of the secret, for messages */
    private $secretSetting;

    private function __construct(string $source, array $serverFields, string $addressSetting, string $secretSetting)
    {
        $this->source = $source;
        $this->serverFields = $serverFields;
        $this->addressSetting = $addressSetting;
        $this->secretSetting = $secretSetting;
    }

    /**
     * Resolves the daemon's address and secret from the first configured source.
     *
     * @param array|null $serverParams  module $params holding the server record, or null outside
     *                                  module functions
     * @param array|null $addonSettings the addon's settings when WHMCS handed them over (the
     *                                  addon page's $vars); null reads them from tbladdonmodules
     * @throws RpcException of kind "config" when no source is configured or the first one is
     *                      incomplete or invalid; the message names what to set
     */
    public static function load(?array $serverParams = null, ?array $addonSettings = null): self
    {
        $settings = self::fromConfiguration();
        if ($settings !== null) {
            return $settings;
        }

        if ($addonSettings === null) {
            $addonSettings = self::readAddonSettings();
        }
        $settings = self::fromAddon($addonSettings);
        if ($settings !== null) {
            return $settings;
        }

        if ($serverParams !== null) {
            $settings = self::fromServer($serverParams);
            if ($settings !== null) {
                return $settings;
            }
        }

        $where = ', or fill in ' . self::ADDON_SETTINGS;
        if ($serverParams !== null) {
            $where .= ', or enter the daemon address and RPC secret as the hostname, port and password of the WHMCS server record';
        }
        throw new RpcException('The ostor-bridge daemon address is not configured: ' . self::HOW_TO_CONFIGURE . $where . '.', 0, 'config');
    }

    /** Returns the source the settings came from: "configuration", "addon" or "server". */
    public function source(): string
    {
        return $this->source;
    }

    /** Returns the name of the place where an admin edits these settings, for messages. */
    public function describeSource(): string
    {
        switch ($this->source) {
            case self::SOURCE_CONFIGURATION:
                return 'the OSTOR_BRIDGE_RPC_* constants of WHMCS\'s configuration.php or environment variables';
            case self::SOURCE_ADDON:
                return self::ADDON_SETTINGS;
            default:
                return 'the hostname, port and password of the WHMCS server record';
        }
    }

    /** Returns the RPC secret, so that callers can mask it in logs. */
    public function secret(): string
    {
        return (string) $this->serverFields['serverpassword'];
    }

    /**
     * Returns the server fields in the shape of WHMCS module parameters: serverhostname,
     * serverport, serversecure and serverpassword.
     */
    public function serverFields(): array
    {
        return $this->serverFields;
    }

    /** Builds the RPC client for the resolved daemon. Its errors name where it was configured. */
    public function client(): RpcClient
    {
        return RpcClient::fromParams($this->serverFields)->describedAs($this->addressSetting, $this->secretSetting);
    }

    private static function fromConfiguration(): ?self
    {
        $values = [];
        $constants = [];
        $anyConstant = false;
        foreach ([self::HOST, self::PORT, self::SECRET] as $name) {
            if (defined($name)) {
                $anyConstant = true;
                $values[$name] = trim((string) constant($name));
                $constants[] = $name;
                continue;
            }
            $value = getenv($name);
            $values[$name] = $value === false ? '' : trim($value);
        }
        if (!$anyConstant && $values[self::HOST] === '') {
            return null;
        }

        if ($values[self::HOST] === '') {
            throw new RpcException(self::HOST . ' is not set, but other OSTOR_BRIDGE_RPC_* settings are: ' . self::HOW_TO_CONFIGURE . '.', 0, 'config');
        }
        if ($values[self::SECRET] === '') {
            throw new RpcException(sprintf('%s is not set, but %s is "%s": define %s next to it in WHMCS\'s configuration.php as %s.', self::SECRET, self::HOST, $values[self::HOST], self::SECRET, RpcClient::DAEMON_SECRET), 0, 'config');
        }
        list($host, $port) = self::splitAddress($values[self::HOST], $values[self::PORT], self::HOST, self::PORT);
        $addressNames = $values[self::PORT] !== '' ? [self::HOST, self::PORT] : [self::HOST];
        return new self(self::SOURCE_CONFIGURATION, [
            'serverhostname' => $host,
            'serverport' => $port,
            'serversecure' => false,
            'serverpassword' => $values[self::SECRET],
        ], self::describeNames($addressNames, $constants), self::describeNames([self::SECRET], $constants));
    }

    /**
     * Names the OSTOR_BRIDGE_RPC_* settings $names for messages, each as a constant of
     * configuration.php when it is in $constants and as an environment variable otherwise.
     */
    private static function describeNames(array $names, array $constants): string
    {
        $defined = array_values(array_intersect($names, $constants));
        $fromEnvironment = array_values(array_diff($names, $constants));
        $parts = [];
        if ($defined !== []) {
            $parts[] = implode(' and ', $defined) . ' in WHMCS\'s configuration.php';
        }
        if ($fromEnvironment !== []) {
            $parts[] = (count($fromEnvironment) > 1 ? 'the environment variables ' : 'the environment variable ') . implode(' and ', $fromEnvironment);
        }
        return implode(' and ', $parts);
    }

    private static function fromAddon(array $addonSettings): ?self
    {
        $secret = trim((string) ($addonSettings['rpc_secret'] ?? ''));
        if ($secret === '') {
            return null;
        }
        $address = trim((string) ($addonSettings['daemon_address'] ?? ''));
        if ($address === '') {
            throw new RpcException('The ostor-bridge S3 panel addon has an "RPC secret" but no "Daemon address": enter the host:port or unix socket of the daemon\'s rpc.listen there under System Settings > Addon Modules, or ' . self::HOW_TO_CONFIGURE . '.', 0, 'config');
        }
        list($host, $port) = self::splitAddress($address, '', 'The addon\'s "Daemon address"', '');
        return new self(self::SOURCE_ADDON, [
            'serverhostname' => $host,
            'serverport' => $port,
            'serversecure' => false,
            'serverpassword' => $secret,
        ], 'the "Daemon address" setting of the ostor-bridge S3 panel addon', 'the "RPC secret" setting of the ostor-bridge S3 panel addon');
    }

    /**
     * Takes the server fields of module $params unchanged, so RpcClient::fromParams checks them
     * with messages that name the server record's fields.
     */
    private static function fromServer(array $params): ?self
    {
        $fields = [];
        foreach (['serverhostname', 'serverip', 'serverport', 'serversecure', 'serverpassword'] as $name) {
            $fields[$name] = $params[$name] ?? '';
        }
        if (trim((string) $fields['serverhostname']) === '' && trim((string) $fields['serverip']) === '' && (string) $fields['serverpassword'] === '') {
            return null;
        }
        if ((string) $fields['serverpassword'] === '') {
            throw new RpcException('The WHMCS server record has no password: enter ' . RpcClient::DAEMON_SECRET . ' as its password, or ' . self::HOW_TO_CONFIGURE . '.', 0, 'config');
        }
        return new self(self::SOURCE_SERVER, $fields, RpcClient::SERVER_ADDRESS, RpcClient::SERVER_SECRET);
    }

    /**
     * Splits "host", "host:port", "[ipv6]:port" or "unix:/path.sock" into host and port. A port in
     * the address must agree with $port when both are given. $hostName and $portName name the
     * settings in error messages.
     *
     * @return array{0:string,1:int} host (IPv6 in brackets) and port, 0 for a unix socket
     */
    private static function splitAddress(string $address, string $port, string $hostName, string $portName): array
    {
        if (strpos($address, 'unix:') === 0) {
            if (strlen($address) === 5) {
                throw new RpcException(sprintf('%s "%s" names no socket path: use unix:/run/ostor-bridge/rpc.sock or the path of rpc.listen.', $hostName, $address), 0, 'config');
            }
            return [$address, 0];
        }

        $host = $address;
        $addressPort = '';
        if (preg_match('/^\[([^\]]+)\](?::(.*))?$/', $address, $m)) {
            $host = '[' . $m[1] . ']';
            $addressPort = $m[2] ?? '';
        } elseif (substr_count($address, ':') === 1) {
            list($host, $addressPort) = explode(':', $address, 2);
        } elseif (strpos($address, ':') !== false) {
            $host = '[' . $address . ']';
        }
        if ($host === '' || preg_match('~[\s/@?#]~', $address)) {
            throw new RpcException(sprintf('%s "%s" is not a host name or IP address: use e.g. 127.0.0.1, 127.0.0.1:7380 or unix:/run/ostor-bridge/rpc.sock.', $hostName, $address), 0, 'config');
        }

        $number = self::parsePort($addressPort, $hostName, $address);
        $given = self::parsePort($port, $portName, $port);
        if ($number > 0 && $given > 0 && $number !== $given) {
            throw new RpcException(sprintf('%s "%s" names port %d but %s is %d: set the port in one place only.', $hostName, $address, $number, $portName, $given), 0, 'config');
        }
        return [$host, $number > 0 ? $number : $given];
    }

    /** Parses a port number 1-65535; '' is 0, which means the default 7380. */
    private static function parsePort(string $text, string $name, string $value): int
    {
        if ($text === '') {
            return 0;
        }
        if (!ctype_digit($text) || (int) $text < 1 || (int) $text > 65535) {
            throw new RpcException(sprintf('%s "%s" has an invalid port: use a number from 1 to 65535, the port of the daemon\'s rpc.listen.', $name, $value), 0, 'config');
        }
        return (int) $text;
    }

    /**
     * Reads the addon's settings from tbladdonmodules through WHMCS's query builder. Returns an
     * empty array outside WHMCS, where the query builder does not exist.
     *
     * NOTE: whether WHMCS stores "password" fields of addon settings encrypted is unconfirmed;
     * this reads the value as stored, which works where it is plain text.
     */
    private static function readAddonSettings(): array
    {
        if (!class_exists('WHMCS\Database\Capsule')) {
            return [];
        }
        $rows = \WHMCS\Database\Capsule::table('tbladdonmodules')
            ->where('module', self::ADDON_MODULE)
            ->pluck('value', 'setting');
        return is_array($rows) ? $rows : $rows->toArray();
    }
}
