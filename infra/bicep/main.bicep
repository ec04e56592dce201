// DevMentor Project Service on Azure: a Flex Consumption function app (.NET 10 isolated worker)
// with its identity-only storage, PostgreSQL (Entra auth, private by default), Azure Managed Redis
// (TLS), Key Vault, Application Insights, and DevMentor.Runner as a Container Apps job.
// Deploy with `azd up` (azure.yaml at the repository root); what is created, what it costs and how
// runners connect: README.md beside this file.
targetScope = 'subscription'

import { Sizing } from 'profiles.bicep'

@minLength(1)
@maxLength(64)
@description('Environment name (azd): names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@metadata({ azd: { type: 'location' } })
param location string

@description('SKUs and redundancy: profiles.bicep holds dev and prod.')
param sizing Sizing

@description('PostgreSQL public endpoint: off by default (private endpoint in the app network).')
param postgresPublicAccess bool = false
@description('With postgresPublicAccess only: [{name, startIpAddress, endIpAddress}].')
param postgresFirewallRules array = []

@description('Telemetry only with Entra tokens (Application Insights local auth off).')
param appInsightsEntraOnly bool = true

param jwtIssuer string = 'devmentor-auth'
param jwtAudience string = 'devmentor'
param blobContainerName string = 'devmentor'

@description('DevMentor.Runner container image for the build-step job, e.g. myregistry.azurecr.io/devmentor-runner:1.0.')
@minLength(1)
param runnerImage string
@description('Registry of a private runner image (pulled with the job identity), empty for a public one.')
param runnerRegistryServer string = ''
param runnerLabels string = 'linux'

@secure()
@minLength(32)
@description('Auth:Jwt:SigningKey: the Auth Service HS256 shared secret (at least 32 bytes).')
param jwtSigningKey string
@secure()
@minLength(44)
@maxLength(44)
@description('Webhooks:SecretKey: base64 of 32 random bytes (encrypts project webhook secrets).')
param webhookSecretKey string
@secure()
@minLength(32)
@description('Auth:BootstrapApiKey: the first admin API key (so no key is ever printed to the logs).')
param bootstrapApiKey string
@secure()
@minLength(16)
@description('Runners:RegistrationToken: what runners present to register.')
param runnerRegistrationToken string
@secure()
@description('GitHub:Token (optional): commit statuses and createRemote.')
param githubToken string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, application: 'devmentor-project-service' }
var appName = 'func-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    workspaceName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    retentionDays: sizing.logRetentionDays
    entraOnlyIngestion: appInsightsEntraOnly
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    sku: sizing.storageSku
    appContainerName: blobContainerName
    deploymentContainerName: 'app-package-${resourceToken}'
  }
}

module keyVault 'modules/keyvault.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'kv-${resourceToken}'
    purgeProtection: sizing.keyVaultPurgeProtection
    jwtSigningKey: jwtSigningKey
    webhookSecretKey: webhookSecretKey
    bootstrapApiKey: bootstrapApiKey
    runnerRegistrationToken: runnerRegistrationToken
    githubToken: githubToken
  }
}

module network 'modules/network.bicep' = if (!postgresPublicAccess) {
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'vnet-${resourceToken}'
  }
}

module functionApp 'modules/functionapp.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    planName: 'plan-${resourceToken}'
    appName: appName
    instanceMemoryMB: sizing.functionInstanceMemoryMB
    maximumInstanceCount: sizing.functionMaximumInstances
    alwaysReadyHttp: sizing.functionAlwaysReadyHttp
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}app-package-${resourceToken}'
    subnetId: postgresPublicAccess ? '' : network!.outputs.functionSubnetId
  }
}

module roles 'modules/roles.bicep' = {
  scope: rg
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module postgres 'modules/postgres.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'psql-${resourceToken}'
    databaseName: 'devmentor'
    skuName: sizing.postgresSkuName
    tier: sizing.postgresTier
    storageGB: sizing.postgresStorageGB
    highAvailability: sizing.postgresHighAvailability
    geoRedundantBackup: sizing.postgresGeoRedundantBackup
    backupRetentionDays: sizing.postgresBackupRetentionDays
    appPrincipalId: functionApp.outputs.principalId
    appPrincipalName: functionApp.outputs.name
    publicAccess: postgresPublicAccess
    firewallRules: postgresFirewallRules
    privateEndpointSubnetId: postgresPublicAccess ? '' : network!.outputs.privateEndpointSubnetId
    privateDnsZoneId: postgresPublicAccess ? '' : network!.outputs.postgresDnsZoneId
  }
}

module redis 'modules/redis.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'redis-${resourceToken}'
    sku: sizing.redisSku
    highAvailability: sizing.redisHighAvailability
    keyVaultName: keyVault.outputs.name
    connectionSecretName: keyVault.outputs.secretNames.redisConnectionString
  }
}

module appSettings 'modules/appsettings.bicep' = {
  scope: rg
  params: {
    appName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    blobContainerName: blobContainerName
    keyVaultUri: keyVault.outputs.uri
    secretNames: keyVault.outputs.secretNames
    hasGitHubToken: !empty(githubToken)
    postgresHost: postgres.outputs.host
    postgresDatabase: postgres.outputs.databaseName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    entraOnlyIngestion: appInsightsEntraOnly
    jwtIssuer: jwtIssuer
    jwtAudience: jwtAudience
    publicBaseUrl: 'https://${functionApp.outputs.defaultHostName}/'
  }
  // References resolve on the first start: the identity must already hold its roles, and the
  // Redis secret must exist.
  dependsOn: [roles, redis]
}

module runners 'modules/runners.bicep' = {
  scope: rg
  params: {
    location: location
    tags: tags
    environmentName: 'cae-${resourceToken}'
    jobName: 'runner-${resourceToken}'
    identityName: 'id-runner-${resourceToken}'
    workspaceId: monitoring.outputs.workspaceId
    keyVaultName: keyVault.outputs.name
    registrationTokenSecretName: keyVault.outputs.secretNames.runnerRegistrationToken
    serviceUrl: 'https://${functionApp.outputs.defaultHostName}/'
    image: runnerImage
    registryServer: runnerRegistryServer
    labels: runnerLabels
    cpu: sizing.runnerCpu
    memory: sizing.runnerMemory
    maxExecutions: sizing.runnerMaxExecutions
    replicaTimeoutSeconds: sizing.runnerReplicaTimeoutSeconds
  }
  dependsOn: [appSettings]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_URL string = 'https://${functionApp.outputs.defaultHostName}/'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output POSTGRES_HOST string = postgres.outputs.host
output REDIS_HOST string = redis.outputs.hostName
output RUNNER_JOB_NAME string = runners.outputs.jobName
