// Build steps run outside the function app: a Container Apps environment with an event-driven job
// of DevMentor.Runner. The job scales on the runner queue through KEDA's metrics-api scaler, which
// polls the service's GET /runners/queue (the number of claimable steps) with the registration
// token as its bearer token; each execution registers, runs steps until it has been idle for
// Runner:ExitWhenIdleSeconds, and exits. Why this scaler: infra/bicep/README.md.
// The job's identity is user-assigned so it holds Key Vault Secrets User before the job exists
// (a system-assigned identity would be created with the job, too late to read its secret).

param location string
param tags object
param environmentName string
param jobName string
param identityName string
param workspaceId string
param keyVaultName string
param registrationTokenSecretName string
@description('The service base URL, ending in /.')
param serviceUrl string
param image string
@description('Registry server of a private image, pulled with the job identity (grant it AcrPull); empty for a public image.')
param registryServer string
param labels string
param cpu string
param memory string
param maxExecutions int
param replicaTimeoutSeconds int
@description('How long an execution waits for more work before it exits.')
param idleExitSeconds int = 60

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    // Logs flow through the diagnostic setting below: no workspace shared key in the template.
    appLogsConfiguration: { destination: 'azure-monitor' }
    workloadProfiles: [{ name: 'Consumption', workloadProfileType: 'Consumption' }]
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: environment
  name: 'logs'
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource job 'Microsoft.App/jobs@2025-01-01' = {
  name: jobName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Event'
      replicaTimeout: replicaTimeoutSeconds
      // A failed execution is not retried as such: its step's lease expires and the service re-queues it.
      replicaRetryLimit: 0
      secrets: [
        {
          name: 'registration-token'
          keyVaultUrl: '${vault.properties.vaultUri}secrets/${registrationTokenSecretName}'
          identity: identity.id
        }
      ]
      registries: empty(registryServer) ? [] : [{ server: registryServer, identity: identity.id }]
      eventTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
        scale: {
          minExecutions: 0
          maxExecutions: maxExecutions
          pollingInterval: 15
          rules: [
            {
              name: 'runner-queue'
              type: 'metrics-api'
              metadata: {
                url: '${serviceUrl}runners/queue'
                format: 'json'
                valueLocation: 'queued'
                targetValue: '1'
                authMode: 'bearer'
              }
              auth: [{ secretRef: 'registration-token', triggerParameter: 'token' }]
            }
          ]
        }
      }
    }
    template: {
      containers: [
        {
          name: 'runner'
          image: image
          resources: { cpu: json(cpu), memory: memory }
          env: [
            { name: 'Runner__Server', value: serviceUrl }
            { name: 'Runner__RegistrationToken', secretRef: 'registration-token' }
            { name: 'Runner__Labels', value: labels }
            { name: 'Runner__Workers', value: '1' }
            { name: 'Runner__ExitWhenIdleSeconds', value: string(idleExitSeconds) }
            // Container Apps runs unprivileged: no PID namespaces. The execution's container is the
            // step's boundary instead, and it ends with the execution.
            { name: 'Runner__Isolate', value: 'false' }
          ]
        }
      ]
    }
  }
  dependsOn: [secretsUser]
}

output jobName string = job.name
output environmentName string = environment.name
