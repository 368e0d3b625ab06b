{* S3 access of one service on the client's product page. Every value is escaped. *}
<div class="ostorbridge-s3">
    <h4>S3 storage access</h4>
    {if !$s3.provisioned}
        <p>Your S3 storage is being set up. Please check back shortly.</p>
    {else}
        <table class="table table-condensed">
            <tr><th>Endpoint</th><td><code>{$s3.endpoint|escape:'html'}</code></td></tr>
            <tr><th>User</th><td>{$s3.email|escape:'html'}</td></tr>
            <tr><th>Status</th><td>{if $s3.state == 'disabled'}Suspended{else}Active{/if}</td></tr>
            {foreach $s3.access_keys as $key}
                <tr><th>Access key ID</th><td><code>{$key.access_key_id|escape:'html'}</code></td></tr>
                {if $s3.secrets_shown && $key.secret_access_key}
                    <tr><th>Secret access key</th><td><code>{$key.secret_access_key|escape:'html'}</code></td></tr>
                {/if}
            {foreachelse}
                <tr><th>Access key ID</th><td>none; please contact support</td></tr>
            {/foreach}
        </table>
        {if !$s3.secrets_shown}
            <p>Your secret access key is not shown here. Please contact support if you need it again.</p>
        {/if}
    {/if}
</div>
