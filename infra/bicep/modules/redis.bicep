// Azure Managed Redis for the cache and the shared rate-limit counters: TLS only (port 10000,
// TLS 1.2+). The app connects with the access key, which ARM writes straight into Key Vault: it
// is read with listKeys() in this one secret resource and appears in no output and no app setting
// (the app setting is a Key Vault reference). Entra-only Redis needs a token-refreshing client
// (Microsoft.Azure.StackExchangeRedis), which the NuGet source here does not serve: see
// docs/adr/0014-azure-deployment.md.

param location string
param tags object
param name string
param sku string
param highAvailability string
param keyVaultName string
param connectionSecretName string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: highAvailability
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'AllKeysLRU'
    accessKeysAuthentication: 'Enabled'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource connection 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: connectionSecretName
  properties: {
    contentType: 'StackExchange.Redis configuration'
    value: '${cluster.properties.hostName}:${database.properties.port},password=${database.listKeys().primaryKey},ssl=True,sslProtocols=tls12,abortConnect=False'
  }
}

output hostName string = cluster.properties.hostName
output port int = database.properties.port
