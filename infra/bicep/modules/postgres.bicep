// Azure Database for PostgreSQL flexible server with Microsoft Entra authentication only (no
// password exists): the function app's managed identity is an Entra administrator and connects
// with a token as its password (Postgres:AzureIdentity in the app). Private by default: no public
// endpoint, a private endpoint in the app's network instead; public access is opt-in and then
// limited to the firewall rules given.

param location string
param tags object
param name string
param databaseName string
param version string = '16'
param skuName string
param tier string
param storageGB int
param highAvailability string
param geoRedundantBackup string
param backupRetentionDays int

@description('Object (principal) id and display name of the identity that becomes an Entra administrator: the function app.')
param appPrincipalId string
param appPrincipalName string

@description('false (default): no public endpoint; the server is reached through the private endpoint below.')
param publicAccess bool
@description('Only with publicAccess: firewall rules, each {name, startIpAddress, endIpAddress}.')
param firewallRules array
param privateEndpointSubnetId string
param privateDnsZoneId string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: skuName, tier: tier }
  properties: {
    version: version
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
    storage: { storageSizeGB: storageGB, autoGrow: 'Enabled' }
    backup: { backupRetentionDays: backupRetentionDays, geoRedundantBackup: geoRedundantBackup }
    highAvailability: { mode: highAvailability }
    network: { publicNetworkAccess: publicAccess ? 'Enabled' : 'Disabled' }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: { charset: 'UTF8', collation: 'en_US.utf8' }
}

resource appAdmin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: appPrincipalId
  properties: {
    principalType: 'ServicePrincipal'
    principalName: appPrincipalName
    tenantId: tenant().tenantId
  }
  dependsOn: [database]
}

@batchSize(1)
resource rules 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = [for rule in (publicAccess ? firewallRules : []): {
  parent: server
  name: rule.name
  properties: { startIpAddress: rule.startIpAddress, endIpAddress: rule.endIpAddress }
  dependsOn: [appAdmin]
}]

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = if (!publicAccess) {
  name: '${name}-pe'
  location: location
  tags: tags
  properties: {
    subnet: { id: privateEndpointSubnetId }
    privateLinkServiceConnections: [
      {
        name: 'postgres'
        properties: { privateLinkServiceId: server.id, groupIds: ['postgresqlServer'] }
      }
    ]
  }
}

resource endpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = if (!publicAccess) {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [{ name: 'postgres', properties: { privateDnsZoneId: privateDnsZoneId } }]
  }
}

output host string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
