// The Flex Consumption plan and function app: .NET 10 isolated worker, system-assigned identity,
// the deployment package in a blob container read with that identity. App settings are applied
// separately (appsettings.bicep) once the identity holds its roles, so the first Key Vault
// reference resolution does not race the role assignments.

param location string
param tags object
param planName string
param appName string
param instanceMemoryMB int
param maximumInstanceCount int
param alwaysReadyHttp int
param deploymentContainerUrl string
@description('Empty: no virtual network integration.')
param subnetId string

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: appName
  location: location
  // azd deploys the `functions` service of azure.yaml to the app carrying this tag.
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      // On Flex Consumption the worker runtime is declared here, not as FUNCTIONS_WORKER_RUNTIME.
      runtime: { name: 'dotnet-isolated', version: '10.0' }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReadyHttp > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttp }] : []
      }
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
    }
  }
}

// Publishing goes through the deployment container with the app's identity: basic auth stays off.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

output name string = app.name
output principalId string = app.identity.principalId
output defaultHostName string = app.properties.defaultHostName
