// Key Vault (RBAC authorization) holding the service's secrets. Their values arrive as secure
// parameters and go nowhere else: the app reads them through Key Vault references, the runner job
// through its identity. Secret names are fixed here and returned, so the references and the vault
// cannot drift apart.

param location string
param tags object
param name string
param purgeProtection bool

@secure()
@minLength(32)
param jwtSigningKey string
@secure()
@minLength(44)
@maxLength(44)
param webhookSecretKey string
@secure()
@minLength(32)
param bootstrapApiKey string
@secure()
@minLength(16)
param runnerRegistrationToken string
@secure()
@description('Optional: without it no GitHub token secret is created.')
param githubToken string = ''

var names = {
  jwtSigningKey: 'auth-jwt-signing-key'
  webhookSecretKey: 'webhooks-secret-key'
  bootstrapApiKey: 'auth-bootstrap-api-key'
  runnerRegistrationToken: 'runners-registration-token'
  githubToken: 'github-token'
  redisConnectionString: 'redis-connection-string'
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Purge protection can only be switched on; null leaves it off without a "false" ARM rejects later.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource jwt 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: names.jwtSigningKey
  properties: { value: jwtSigningKey, contentType: 'text/plain' }
}

resource webhooks 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: names.webhookSecretKey
  properties: { value: webhookSecretKey, contentType: 'base64' }
}

resource bootstrap 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: names.bootstrapApiKey
  properties: { value: bootstrapApiKey, contentType: 'text/plain' }
}

resource registration 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: names.runnerRegistrationToken
  properties: { value: runnerRegistrationToken, contentType: 'text/plain' }
}

resource github 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(githubToken)) {
  parent: vault
  name: names.githubToken
  properties: { value: githubToken, contentType: 'text/plain' }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
output secretNames object = names
