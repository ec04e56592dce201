// Log Analytics workspace and the workspace-based Application Insights component the app exports to.

param location string
param tags object
param workspaceName string
param appInsightsName string
@minValue(30)
param retentionDays int
@description('Accept telemetry only with a Microsoft Entra token (the app identity gets Monitoring Metrics Publisher).')
param entraOnlyIngestion bool

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionDays
    features: { enableLogAccessUsingOnlyResourcePermissions: true }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: entraOnlyIngestion
    IngestionMode: 'LogAnalytics'
  }
}

output workspaceId string = workspace.id
output appInsightsName string = appInsights.name
@description('Not a secret: the instrumentation key only names the component; with local auth disabled, ingestion needs an Entra token.')
output appInsightsConnectionString string = appInsights.properties.ConnectionString
