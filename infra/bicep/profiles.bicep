// Sizing profiles: the SKUs and redundancy of each environment kind. The parameter files
// (dev.bicepparam, prod.bicepparam, and main.bicepparam for azd) pick one; main.bicep reads
// nothing else for sizes, so a profile is the single place a price changes.

@export()
@description('SKUs, capacity and redundancy of one environment.')
type Sizing = {
  @description('Flex Consumption instance memory (MB): 512, 2048 or 4096.')
  functionInstanceMemoryMB: 512 | 2048 | 4096
  @description('Flex Consumption scale-out ceiling.')
  @minValue(1)
  @maxValue(1000)
  functionMaximumInstances: int
  @description('Always-ready instances for the HTTP group (0 = scale to zero; billed while idle).')
  @minValue(0)
  functionAlwaysReadyHttp: int
  @description('Storage redundancy of the AzureWebJobsStorage account (blobs, Durable task hub, deployment package).')
  storageSku: 'Standard_LRS' | 'Standard_ZRS' | 'Standard_GZRS'
  @description('Azure Database for PostgreSQL flexible server compute.')
  postgresSkuName: string
  postgresTier: 'Burstable' | 'GeneralPurpose' | 'MemoryOptimized'
  @minValue(32)
  postgresStorageGB: int
  postgresHighAvailability: 'Disabled' | 'SameZone' | 'ZoneRedundant'
  postgresGeoRedundantBackup: 'Disabled' | 'Enabled'
  @minValue(7)
  @maxValue(35)
  postgresBackupRetentionDays: int
  @description('Azure Managed Redis SKU, e.g. Balanced_B0.')
  redisSku: string
  redisHighAvailability: 'Disabled' | 'Enabled'
  @description('Key Vault purge protection (cannot be turned off again once on).')
  keyVaultPurgeProtection: bool
  @minValue(30)
  @maxValue(730)
  logRetentionDays: int
  @description('Runner job: concurrent executions at most (each runs one step at a time).')
  @minValue(1)
  runnerMaxExecutions: int
  @description('Runner container vCPU, as a string because ARM takes a decimal (0.5, 1.0, 2.0).')
  runnerCpu: string
  runnerMemory: string
  @description('Hard limit on one runner execution, seconds (a step longer than this is cut off).')
  @minValue(300)
  runnerReplicaTimeoutSeconds: int
}

@export()
@description('Development: the smallest SKUs, no redundancy, everything scales to zero except the database and cache.')
var dev = {
  functionInstanceMemoryMB: 2048
  functionMaximumInstances: 40
  functionAlwaysReadyHttp: 0
  storageSku: 'Standard_LRS'
  postgresSkuName: 'Standard_B1ms'
  postgresTier: 'Burstable'
  postgresStorageGB: 32
  postgresHighAvailability: 'Disabled'
  postgresGeoRedundantBackup: 'Disabled'
  postgresBackupRetentionDays: 7
  redisSku: 'Balanced_B0'
  redisHighAvailability: 'Disabled'
  keyVaultPurgeProtection: false
  logRetentionDays: 30
  runnerMaxExecutions: 2
  runnerCpu: '1.0'
  runnerMemory: '2Gi'
  runnerReplicaTimeoutSeconds: 3600
}

@export()
@description('Production: zone-redundant database, replicated cache and storage, one warm HTTP instance.')
var prod = {
  functionInstanceMemoryMB: 2048
  functionMaximumInstances: 100
  functionAlwaysReadyHttp: 1
  storageSku: 'Standard_ZRS'
  postgresSkuName: 'Standard_D2ds_v5'
  postgresTier: 'GeneralPurpose'
  postgresStorageGB: 128
  postgresHighAvailability: 'ZoneRedundant'
  postgresGeoRedundantBackup: 'Enabled'
  postgresBackupRetentionDays: 35
  redisSku: 'Balanced_B5'
  redisHighAvailability: 'Enabled'
  keyVaultPurgeProtection: true
  logRetentionDays: 90
  runnerMaxExecutions: 10
  runnerCpu: '2.0'
  runnerMemory: '4Gi'
  runnerReplicaTimeoutSeconds: 21600
}
