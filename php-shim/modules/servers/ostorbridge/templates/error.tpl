{* Shown on the client's product page when the daemon cannot be asked. *}
<div class="alert alert-warning">
    S3 storage details are unavailable right now: {$usefulErrorHelper|escape:'html'}
</div>
