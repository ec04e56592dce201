// Development: the dev profile of profiles.bicep (smallest SKUs, no redundancy). az deployment sub create -l LOCATION -f main.bicep -p dev.bicepparam
// Secrets and names come from environment variables (azd: `azd env set NAME value`), never from
// this file: see README.md beside it.
using 'main.bicep'

import { dev } from 'profiles.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')
param location = readEnvironmentVariable('AZURE_LOCATION')
param sizing = dev
param postgresPublicAccess = bool(readEnvironmentVariable('DEVMENTOR_POSTGRES_PUBLIC', 'false'))
param runnerImage = readEnvironmentVariable('DEVMENTOR_RUNNER_IMAGE')
param runnerRegistryServer = readEnvironmentVariable('DEVMENTOR_RUNNER_REGISTRY', '')
param jwtSigningKey = readEnvironmentVariable('DEVMENTOR_JWT_SIGNING_KEY')
param webhookSecretKey = readEnvironmentVariable('DEVMENTOR_WEBHOOK_SECRET_KEY')
param bootstrapApiKey = readEnvironmentVariable('DEVMENTOR_BOOTSTRAP_API_KEY')
param runnerRegistrationToken = readEnvironmentVariable('DEVMENTOR_RUNNER_REGISTRATION_TOKEN')
param githubToken = readEnvironmentVariable('DEVMENTOR_GITHUB_TOKEN', '')
