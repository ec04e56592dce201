using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Collaborators;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Invitation))]
[JsonSerializable(typeof(InvitationPage))]
public sealed partial class InvitationsJsonContext : JsonSerializerContext;
