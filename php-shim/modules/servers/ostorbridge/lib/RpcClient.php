<?php
/**
 * JSON-RPC 2.0 client for the ostor-bridge daemon.
 *
 * Every request is signed with the shared secret (see docs/rpc.md in the ostor-bridge
 * repository): X-Ostor-Bridge-Timestamp carries the Unix time and X-Ostor-Bridge-Signature
 * "v1=" followed by hex HMAC-SHA256(secret, "v1\n" . timestamp . "\n" . body).
 */

namespace OstorBridge;

final class RpcException extends \RuntimeException
{
    /** @var string stable error name from the daemon, e.g. "not_found"; "transport" for local failures */
    private $kind;

    /** @var bool whether the daemon reported that retrying may succeed */
    private $retryable;

    public function __construct(string $message, int $code, string $kind, bool $retryable = false)
    {
        parent::__construct($message, $code);
        $this->kind = $kind;
        $this->retryable = $retryable;
    }

    public function getKind(): string
    {
        return $this->kind;
    }

    public function isRetryable(): bool
    {
        return $this->retryable;
    }
}

final class RpcClient
{
    const DEFAULT_PORT = 7380;

    /** Settings of the WHMCS server record, as fromParams reads them. */
    const SERVER_ADDRESS = 'the hostname and port of the WHMCS server record';
    const SERVER_SECRET = 'the password of the WHMCS server record';

    /** Daemon-side names of the secret, which the configured secret must equal. */
    const DAEMON_SECRET = 'the daemon\'s OSTOR_BRIDGE_RPC_SECRET (or rpc.secret)';

    /** @var string */
    private $url;
    /** @var string */
    private $secret;
    /** @var string|null */
    private $unixSocket;
    /** @var int seconds; longer than the daemon's default call timeout of 60 s */
    private $timeout;
    /** @var int seconds */
    private $connectTimeout;
    /** @var string settings the address comes from, for error messages, or '' */
    private $addressSetting = '';
    /** @var string setting the secret comes from, for error messages, or '' */
    private $secretSetting = '';

    public function __construct(string $url, string $secret, ?string $unixSocket = null, int $timeout = 90, int $connectTimeout = 5)
    {
        if ($secret === '') {
            throw new RpcException('The RPC secret is empty: set it to ' . self::DAEMON_SECRET . '.', 0, 'config');
        }
        $this->url = $url;
        $this->secret = $secret;
        $this->unixSocket = $unixSocket;
        $this->timeout = $timeout;
        $this->connectTimeout = $connectTimeout;
    }

    /**
     * Builds a client from the server fields of WHMCS module parameters: the hostname (or IP
     * address) and port of the daemon, "secure" for HTTPS, and the RPC secret as the password.
     * A hostname of the form "unix:/path/to.sock" selects a unix socket. Errors name the server
     * record's fields until describedAs() names another source.
     */
    public static function fromParams(array $params): self
    {
        $host = trim((string) ($params['serverhostname'] ?? ''));
        if ($host === '') {
            $host = trim((string) ($params['serverip'] ?? ''));
        }
        $secret = (string) ($params['serverpassword'] ?? '');
        if ($host === '') {
            throw new RpcException('The WHMCS server record has no hostname: enter the daemon address, e.g. 127.0.0.1 or unix:/run/ostor-bridge/rpc.sock.', 0, 'config');
        }
        if ($secret === '') {
            throw new RpcException('The WHMCS server record has no password: enter ' . self::DAEMON_SECRET . ' as its password.', 0, 'config');
        }
        if (strpos($host, 'unix:') === 0) {
            return (new self('http://localhost/rpc', $secret, substr($host, 5)))->describedAs(self::SERVER_ADDRESS, self::SERVER_SECRET);
        }
        $port = (int) ($params['serverport'] ?? 0);
        if (substr_count($host, ':') === 1) {
            // "host:port" typed into the hostname field: the port there wins over an empty port field.
            list($host, $hostPort) = explode(':', $host, 2);
            if (!ctype_digit($hostPort) || (int) $hostPort < 1 || (int) $hostPort > 65535) {
                throw new RpcException(sprintf('The server record\'s hostname "%s:%s" ends in an invalid port; enter the port in the Port field.', $host, $hostPort), 0, 'config');
            }
            if ($port > 0 && $port !== (int) $hostPort) {
                throw new RpcException(sprintf('The server record names port %s in the hostname and port %d in the Port field; keep only the Port field.', $hostPort, $port), 0, 'config');
            }
            $port = (int) $hostPort;
        } elseif (strpos($host, ':') !== false && $host[0] !== '[') {
            $host = '[' . $host . ']';
        }
        if ($port <= 0) {
            $port = self::DEFAULT_PORT;
        }
        $scheme = !empty($params['serversecure']) ? 'https' : 'http';
        return (new self($scheme . '://' . $host . ':' . $port . '/rpc', $secret))->describedAs(self::SERVER_ADDRESS, self::SERVER_SECRET);
    }

    /**
     * Sets the names of the settings the address and the secret come from, e.g. "the password
     * of the WHMCS server record". Errors that a wrong address or secret causes name them, so
     * the admin can find where to fix them.
     */
    public function describedAs(string $addressSetting, string $secretSetting): self
    {
        $this->addressSetting = $addressSetting;
        $this->secretSetting = $secretSetting;
        return $this;
    }

    /** Returns the address requests go to, for messages. */
    public function address(): string
    {
        return $this->unixSocket !== null ? 'unix:' . $this->unixSocket : $this->url;
    }

    /**
     * Calls $method with named $params and returns the decoded result.
     *
     * @throws RpcException on transport failures, unexpected replies and JSON-RPC errors
     */
    public function call(string $method, array $params = [])
    {
        $id = bin2hex(random_bytes(12));
        $body = json_encode(
            ['jsonrpc' => '2.0', 'method' => $method, 'params' => (object) $params, 'id' => $id],
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
        );
        if ($body === false) {
            throw new RpcException('Could not encode the request to the daemon: ' . json_last_error_msg(), 0, 'transport');
        }
        $timestamp = (string) time();
        $signature = 'v1=' . hash_hmac('sha256', "v1\n" . $timestamp . "\n" . $body, $this->secret);

        list($status, $contentType, $raw) = $this->post($body, [
            'Content-Type: application/json',
            'Accept: application/json',
            'X-Ostor-Bridge-Timestamp: ' . $timestamp,
            'X-Ostor-Bridge-Signature: ' . $signature,
            'Expect:',
        ]);

        if (stripos($contentType, 'application/json') !== 0) {
            throw new RpcException(sprintf(
                'The ostor-bridge daemon at %s responded with HTTP %d and content type "%s" instead of JSON; check that the address points at the daemon, not another web server.%s',
                $this->address(), $status, $contentType, $this->addressNote()
            ), 0, 'transport');
        }
        $reply = json_decode($raw, true);
        if (!is_array($reply) || ($reply['jsonrpc'] ?? null) !== '2.0') {
            throw new RpcException(sprintf('The ostor-bridge daemon at %s sent an invalid JSON-RPC reply (HTTP %d).', $this->address(), $status), 0, 'transport');
        }
        if (isset($reply['error']) && is_array($reply['error'])) {
            $error = $reply['error'];
            $data = is_array($error['data'] ?? null) ? $error['data'] : [];
            $kind = (string) ($data['kind'] ?? 'unknown');
            $message = (string) ($error['message'] ?? 'unknown error');
            if ($kind === 'unauthorized') {
                $message = self::sentence($message) . $this->secretNote();
            }
            throw new RpcException($message, (int) ($error['code'] ?? 0), $kind, !empty($data['retryable']));
        }
        if ($status !== 200) {
            throw new RpcException(sprintf('The ostor-bridge daemon at %s responded with HTTP %d and no error object.', $this->address(), $status), 0, 'transport');
        }
        if (($reply['id'] ?? null) !== $id) {
            throw new RpcException('The ostor-bridge daemon responded to a different request id; the reply was discarded.', 0, 'transport');
        }
        if (!array_key_exists('result', $reply)) {
            throw new RpcException('The ostor-bridge daemon sent a reply without a result.', 0, 'transport');
        }
        return $reply['result'];
    }

    private function addressNote(): string
    {
        if ($this->addressSetting === '') {
            return '';
        }
        return ' This WHMCS reads the daemon address from ' . $this->addressSetting . ', which must match the daemon\'s rpc.listen.';
    }

    private function secretNote(): string
    {
        if ($this->secretSetting === '') {
            return '';
        }
        return ' This WHMCS reads the RPC secret from ' . $this->secretSetting . ', which must equal ' . self::DAEMON_SECRET . '.';
    }

    /** Ends $text with a period, so that a note can follow it. */
    private static function sentence(string $text): string
    {
        $text = rtrim($text);
        return preg_match('/[.!?]$/', $text) ? $text : $text . '.';
    }

    /** @return array{0:int,1:string,2:string} HTTP status, content type, body */
    private function post(string $body, array $headers): array
    {
        $ch = curl_init($this->url);
        $options = [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => $this->connectTimeout,
            CURLOPT_TIMEOUT => $this->timeout,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ];
        if ($this->unixSocket !== null) {
            $options[CURLOPT_UNIX_SOCKET_PATH] = $this->unixSocket;
        }
        curl_setopt_array($ch, $options);
        $raw = curl_exec($ch);
        if ($raw === false) {
            $message = curl_error($ch);
            $errno = curl_errno($ch);
            curl_close($ch);
            $kind = $errno === CURLE_OPERATION_TIMEOUTED ? 'timeout' : 'transport';
            $hint = 'Check that it runs (systemctl status ostor-bridge).';
            if (strpos($this->url, 'https:') === 0 && $errno === CURLE_SSL_CONNECT_ERROR) {
                $hint = 'The daemon serves plain HTTP on loopback or a unix socket: untick "Secure" in the server record, or put a TLS proxy in front of it.';
            }
            throw new RpcException(sprintf('Could not reach the ostor-bridge daemon at %s: %s. %s%s', $this->address(), $message, $hint, $this->addressNote()), 0, $kind, true);
        }
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $contentType = (string) curl_getinfo($ch, CURLINFO_CONTENT_TYPE);
        curl_close($ch);
        return [$status, $contentType, (string) $raw];
    }
}
