// The parameters azd reads (azure.yaml → infra/bicep/main): the dev profile unless DEVMENTOR_PROFILE=prod.
// Secrets and names come from environment variables (azd: `azd env set NAME value`), never from
// this file: see README.md beside it.
using 'main.bicep'

import { dev, prod } from 'profiles.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')
param location = readEnvironmentVariable('AZURE_LOCATION')
param sizing = readEnvironmentVariable('DEVMENTOR_PROFILE', 'dev') == 'prod' ? prod : dev
param postgresPublicAccess = bool(readEnvironmentVariable('DEVMENTOR_POSTGRES_PUBLIC', 'false'))
param runnerImage = readEnvironmentVariable('DEVMENTOR_RUNNER_IMAGE')
param runnerRegistryServer = readEnvironmentVariable('DEVMENTOR_RUNNER_REGISTRY', '')
param jwtSigningKey = readEnvironmentVariable('DEVMENTOR_JWT_SIGNING_KEY')
param webhookSecretKey = readEnvironmentVariable('DEVMENTOR_WEBHOOK_SECRET_KEY')
param bootstrapApiKey = readEnvironmentVariable('DEVMENTOR_BOOTSTRAP_API_KEY')
param runnerRegistrationToken = readEnvironmentVariable('DEVMENTOR_RUNNER_REGISTRATION_TOKEN')
param githubToken = readEnvironmentVariable('DEVMENTOR_GITHUB_TOKEN', '')
