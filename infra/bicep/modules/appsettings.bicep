// Every app setting the service reads at start in Azure (README's configuration tables mark them ☁;
// a test checks each is here). No value is a secret: secrets are Key Vault references resolved by
// the platform with the app's identity. FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION
// are absent on purpose: Flex Consumption rejects them (functionAppConfig.runtime says dotnet-isolated).

param appName string
param storageAccountName string
@description('The account blob endpoint: the app reads AzureWebJobsStorage:blobServiceUri for its own blobs.')
param blobEndpoint string
param blobContainerName string
param keyVaultUri string
param secretNames object
param hasGitHubToken bool
param postgresHost string
param postgresDatabase string
param appInsightsConnectionString string
param entraOnlyIngestion bool
param jwtIssuer string
param jwtAudience string
param publicBaseUrl string

func keyVaultReference(vaultUri string, secretName string) string =>
  '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName})'

var settings = {
  // Host storage, the Durable Task hub and the app's blobs: one account, by managed identity.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  Blob__Container: blobContainerName
  // Entra authentication: the user is the app's identity (its name), the password an Entra token.
  ConnectionStrings__Postgres: 'Host=${postgresHost};Port=5432;Database=${postgresDatabase};Username=${appName};Ssl Mode=VerifyFull'
  Postgres__AzureIdentity: 'true'
  ConnectionStrings__Redis: keyVaultReference(keyVaultUri, secretNames.redisConnectionString)
  Auth__Jwt__SigningKey: keyVaultReference(keyVaultUri, secretNames.jwtSigningKey)
  Auth__Jwt__Issuer: jwtIssuer
  Auth__Jwt__Audience: jwtAudience
  Auth__BootstrapApiKey: keyVaultReference(keyVaultUri, secretNames.bootstrapApiKey)
  Webhooks__SecretKey: keyVaultReference(keyVaultUri, secretNames.webhookSecretKey)
  Runners__RegistrationToken: keyVaultReference(keyVaultUri, secretNames.runnerRegistrationToken)
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  // Under the Functions host: the host fires timers, runners run in Container Apps.
  Scheduler__Enabled: 'false'
  Pipelines__Runner__Enabled: 'false'
  Deployments__Worker__Enabled: 'false'
  Service__PublicBaseUrl: publicBaseUrl
  // The package mount is read-only; the data dir holds only scratch files here.
  DEVMENTOR_DATA_DIR: '/tmp/devmentor'
}

// The Functions host's own telemetry authenticates with the app identity when local auth is off.
var telemetrySettings = entraOnlyIngestion ? { APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' } : {}

var githubSettings = hasGitHubToken ? { GitHub__Token: keyVaultReference(keyVaultUri, secretNames.githubToken) } : {}

resource app 'Microsoft.Web/sites@2024-11-01' existing = {
  name: appName
}

resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: app
  name: 'appsettings'
  properties: union(settings, telemetrySettings, githubSettings)
}
