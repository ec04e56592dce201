namespace DevMentor.Core.Storage.Embedded;

/// <summary>The embedded Azurite cannot be found or started; the message says what to do, in one line.</summary>
public sealed class EmbeddedAzuriteException(string message, Exception? innerException = null) : Exception(message, innerException);
