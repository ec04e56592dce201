using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DevMentor.Core.Builds.Config;

/// <summary>
/// Parses <c>.devmentor.yml</c> strictly: unknown keys, wrong types and bad values are errors
/// with line and column, all reported at once, so a typo never silently turns into "use the
/// detected plan". Walks YamlDotNet's node model (not the object deserializer) because every
/// node carries its <see cref="Mark"/>, which gives positions for type errors too.
/// </summary>
public static partial class DevMentorConfigParser
{
    public const string FileName = ".devmentor.yml";
    public const long MaxFileBytes = 256 * 1024;
    public const int MaxSteps = 50;
    public const int MaxCommandsPerStep = 100;
    private const int MaxNodes = 100_000;

    private static readonly HashSet<string> ReservedStepNames = new(StringComparer.Ordinal) { "clone", "push", "deploy" };

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex StepName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ImageTag();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex SecretName();

    /// <summary>Reads <c>.devmentor.yml</c> (or <c>.devmentor.yaml</c>) from the workspace root; null when there is none.</summary>
    public static async Task<DevMentorConfig?> LoadAsync(string workspace, CancellationToken cancellationToken)
    {
        foreach (var name in new[] { FileName, ".devmentor.yaml" })
        {
            var path = Path.Combine(workspace, name);
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                continue;
            }

            if (info.LinkTarget is not null)
            {
                throw new DevMentorConfigException(name, [new ConfigProblem(1, 1, "must be a regular file, not a symbolic link.")]);
            }

            if (info.Length > MaxFileBytes)
            {
                throw new DevMentorConfigException(name, [new ConfigProblem(1, 1, $"is {info.Length} bytes; the limit is {MaxFileBytes}.")]);
            }

            return Parse(await File.ReadAllTextAsync(path, cancellationToken), name);
        }

        return null;
    }

    public static DevMentorConfig Parse(string yaml, string fileName = FileName)
    {
        if (yaml.Length > MaxFileBytes)
        {
            throw new DevMentorConfigException(fileName, [new ConfigProblem(1, 1, $"is larger than {MaxFileBytes} bytes.")]);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            // YamlDotNet wraps the useful message ("found a tab character...") in an outer one,
            // and the inner one carries the position of the offending character.
            var innermost = e;
            while (innermost.InnerException is YamlException inner)
            {
                innermost = inner;
            }

            var (line, column) = (innermost.Start.Line, innermost.Start.Column);
            if (innermost.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FirstIndentingTab(yaml) is { } tab)
            {
                // YamlDotNet places "invalid tab as indentation" at the enclosing mapping; point at the tab.
                (line, column) = tab;
            }

            throw new DevMentorConfigException(fileName, [new ConfigProblem(line, column, "invalid YAML: " + innermost.Message)], e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return DevMentorConfig.Empty;
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode.Start;
            throw new DevMentorConfigException(fileName, [new ConfigProblem(second.Line, second.Column, "only one YAML document is allowed.")]);
        }

        var walker = new Walker();
        var config = walker.Root(stream.Documents[0].RootNode);
        if (walker.Problems.Count > 0)
        {
            throw new DevMentorConfigException(fileName, walker.Problems.OrderBy(p => p.Line).ThenBy(p => p.Column).ToList());
        }

        return config;
    }

    private static (long Line, long Column)? FirstIndentingTab(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', 0, indent);
            if (tab >= 0)
            {
                return (i + 1, tab + 1);
            }
        }

        return null;
    }

    private sealed class Walker
    {
        private int _nodes;

        public List<ConfigProblem> Problems { get; } = [];

        public DevMentorConfig Root(YamlNode node)
        {
            var map = Mapping(node, "the file");
            if (map is null)
            {
                return DevMentorConfig.Empty;
            }

            var detect = true;
            IReadOnlyList<ConfigStep> steps = [];
            IReadOnlyList<string> artifacts = [];
            ConfigImage? image = null;
            IReadOnlyList<DeployEnvironment> deploy = [];
            foreach (var (key, value) in Entries(map, "the top level", "version", "detect", "steps", "artifacts", "image", "deploy"))
            {
                switch (key)
                {
                    case "version":
                        if (Int(value, key, 1, 1) is null)
                        {
                            // Int reported it.
                        }

                        break;
                    case "detect":
                        detect = Bool(value, key) ?? true;
                        break;
                    case "steps":
                        steps = Steps(value);
                        break;
                    case "artifacts":
                        artifacts = Paths(value, key);
                        break;
                    case "image":
                        image = Image(value);
                        break;
                    case "deploy":
                        deploy = Deploy(value);
                        break;
                }
            }

            return new DevMentorConfig(detect, steps, artifacts, image, deploy);
        }

        private List<ConfigStep> Steps(YamlNode node)
        {
            var sequence = Sequence(node, "steps");
            if (sequence is null)
            {
                return [];
            }

            if (sequence.Children.Count > MaxSteps)
            {
                Problem(node, $"steps: at most {MaxSteps} steps.");
            }

            var steps = new List<ConfigStep>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var child in sequence.Children)
            {
                if (Step(child) is { } step)
                {
                    if (!names.Add(step.Name))
                    {
                        Problem(child, $"step '{step.Name}' appears twice.");
                    }

                    steps.Add(step);
                }
            }

            return steps;
        }

        private ConfigStep? Step(YamlNode node)
        {
            var map = Mapping(node, "a step");
            if (map is null)
            {
                return null;
            }

            string? name = null;
            IReadOnlyList<IReadOnlyList<string>>? commands = null;
            IReadOnlyDictionary<string, string>? env = null;
            int? timeout = null, retries = null;
            StepCondition? when = null;
            IReadOnlyList<string>? artifacts = null;
            var skip = false;
            foreach (var (key, value) in Entries(map, "a step", "name", "commands", "env", "timeout", "retries", "when", "artifacts", "skip"))
            {
                switch (key)
                {
                    case "name":
                        name = String(value, "name");
                        if (name is not null && !StepName().IsMatch(name))
                        {
                            Problem(value, "name: 1-64 letters, digits, '.', '_' or '-'.");
                            name = null;
                        }
                        else if (name is not null && ReservedStepNames.Contains(name))
                        {
                            Problem(value, $"name: '{name}' is a built-in step and cannot be redefined here (use 'image' and 'deploy' to configure push and deploy).");
                            name = null;
                        }

                        break;
                    case "commands":
                        commands = Commands(value);
                        break;
                    case "env":
                        env = Env(value);
                        break;
                    case "timeout":
                        timeout = Timeout(value, "timeout");
                        break;
                    case "retries":
                        retries = Int(value, "retries", 0, 10);
                        break;
                    case "when":
                        when = When(value);
                        break;
                    case "artifacts":
                        artifacts = Paths(value, "artifacts");
                        break;
                    case "skip":
                        skip = Bool(value, "skip") ?? false;
                        break;
                }
            }

            if (name is null)
            {
                if (!map.Children.Keys.Any(k => k is YamlScalarNode { Value: "name" }))
                {
                    Problem(node, "a step needs a name.");
                }

                return null;
            }

            return new ConfigStep(name, commands, env, timeout, retries, when, artifacts, skip);
        }

        private List<IReadOnlyList<string>>? Commands(YamlNode node)
        {
            var sequence = Sequence(node, "commands");
            if (sequence is null)
            {
                return null;
            }

            if (sequence.Children.Count > MaxCommandsPerStep)
            {
                Problem(node, $"commands: at most {MaxCommandsPerStep} commands.");
            }

            var commands = new List<IReadOnlyList<string>>();
            foreach (var child in sequence.Children)
            {
                Count(child);
                if (child is YamlScalarNode scalar)
                {
                    try
                    {
                        var argv = CommandLine.Split(scalar.Value ?? "");
                        if (CheckArgv(child, argv))
                        {
                            commands.Add(argv);
                        }
                    }
                    catch (FormatException e)
                    {
                        Problem(child, "commands: " + e.Message);
                    }
                }
                else if (child is YamlSequenceNode list)
                {
                    var argv = new List<string>();
                    foreach (var word in list.Children)
                    {
                        if (String(word, "commands (argv list item)") is { } text)
                        {
                            argv.Add(text);
                        }
                    }

                    if (argv.Count == 0)
                    {
                        Problem(child, "commands: an argv list needs at least the program name.");
                    }
                    else if (CheckArgv(child, argv))
                    {
                        commands.Add(argv);
                    }
                }
                else
                {
                    Problem(child, "commands: each command is a string (split like a shell would, without running one) or a list of arguments.");
                }
            }

            return commands;
        }

        private bool CheckArgv(YamlNode node, IReadOnlyList<string> argv)
        {
            if (string.IsNullOrWhiteSpace(argv[0]) || argv.Any(a => a.Contains('\0', StringComparison.Ordinal)))
            {
                Problem(node, "commands: a program name is required and arguments cannot contain NUL characters.");
                return false;
            }

            return true;
        }

        private Dictionary<string, string>? Env(YamlNode node)
        {
            var map = Mapping(node, "env");
            if (map is null)
            {
                return null;
            }

            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (keyNode, valueNode) in map.Children)
            {
                Count(keyNode);
                var key = String(keyNode, "env name");
                if (key is null)
                {
                    continue;
                }

                if (!EnvName().IsMatch(key))
                {
                    Problem(keyNode, $"env: '{key}' is not a valid variable name (letters, digits and '_', not starting with a digit).");
                    continue;
                }

                if (String(valueNode, $"env.{key}", allowEmpty: true) is { } value)
                {
                    if (value.Contains('\0', StringComparison.Ordinal))
                    {
                        Problem(valueNode, $"env.{key}: NUL characters are not allowed.");
                    }
                    else
                    {
                        env[key] = value;
                    }
                }
            }

            return env;
        }

        private StepCondition? When(YamlNode node)
        {
            var map = Mapping(node, "when");
            if (map is null)
            {
                return null;
            }

            IReadOnlyList<string>? branches = null;
            List<BuildEvent>? events = null;
            foreach (var (key, value) in Entries(map, "when", "branches", "events"))
            {
                if (key == "branches")
                {
                    branches = StringList(value, "when.branches");
                    foreach (var glob in branches)
                    {
                        if (glob.Length == 0 || glob.Length > 256)
                        {
                            Problem(value, "when.branches: a branch glob is 1-256 characters.");
                        }
                    }
                }
                else
                {
                    events = [];
                    foreach (var item in ScalarItems(value, "when.events"))
                    {
                        var text = String(item, "when.events");
                        BuildEvent? parsed = text switch
                        {
                            "push" => BuildEvent.Push,
                            "pull_request" => BuildEvent.PullRequest,
                            "tag" => BuildEvent.Tag,
                            "manual" => BuildEvent.Manual,
                            _ => null,
                        };
                        if (parsed is null)
                        {
                            if (text is not null)
                            {
                                Problem(item, $"when.events: '{text}' is not an event (push, pull_request, tag, manual).");
                            }
                        }
                        else
                        {
                            events.Add(parsed.Value);
                        }
                    }
                }
            }

            return new StepCondition(branches, events);
        }

        private ConfigImage? Image(YamlNode node)
        {
            if (node is YamlScalarNode scalar && scalar.Value is "false" or "true")
            {
                Count(node);
                return new ConfigImage(null, null, [], Disabled: scalar.Value == "false");
            }

            var map = Mapping(node, "image (a mapping, or false)");
            if (map is null)
            {
                return null;
            }

            string? file = null, context = null;
            IReadOnlyList<string> tags = [];
            foreach (var (key, value) in Entries(map, "image", "file", "context", "tags"))
            {
                switch (key)
                {
                    case "file":
                        file = RelativePath(value, "image.file");
                        break;
                    case "context":
                        context = RelativePath(value, "image.context");
                        break;
                    case "tags":
                        tags = StringList(value, "image.tags");
                        foreach (var tag in tags.Where(t => !ImageTag().IsMatch(t)))
                        {
                            Problem(value, $"image.tags: '{tag}' is not a valid tag (letters, digits, '_', '.', '-'; at most 128).");
                        }

                        break;
                }
            }

            return new ConfigImage(file, context, tags, Disabled: false);
        }

        private List<DeployEnvironment> Deploy(YamlNode node)
        {
            var map = Mapping(node, "deploy");
            if (map is null)
            {
                return [];
            }

            var environments = new List<DeployEnvironment>();
            foreach (var (_, value) in Entries(map, "deploy", "environments"))
            {
                var sequence = Sequence(value, "deploy.environments");
                if (sequence is null)
                {
                    continue;
                }

                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var child in sequence.Children)
                {
                    if (Environment(child) is { } environment)
                    {
                        if (!names.Add(environment.Name))
                        {
                            Problem(child, $"deploy.environments: '{environment.Name}' appears twice.");
                        }

                        environments.Add(environment);
                    }
                }
            }

            return environments;
        }

        private DeployEnvironment? Environment(YamlNode node)
        {
            var map = Mapping(node, "a deploy environment");
            if (map is null)
            {
                return null;
            }

            string? name = null, type = null, health = null, secret = null;
            IReadOnlyList<string>? start = null;
            int? port = null, healthTimeout = null, deployTimeout = null;
            Uri? url = null;
            StepCondition? when = null;
            IReadOnlyDictionary<string, string>? env = null;
            bool approval = false;
            IReadOnlyList<string>? approvers = null;
            int? approvalTimeout = null;
            var present = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (key, value) in Entries(map, "a deploy environment", "name", "type", "start", "health", "port", "health_timeout", "url", "secret", "when", "env",
                "approval", "approvers", "approval_timeout", "deploy_timeout"))
            {
                present[key] = value;
                switch (key)
                {
                    case "name":
                        name = String(value, "name");
                        if (name is not null && !StepName().IsMatch(name))
                        {
                            Problem(value, "name: 1-64 letters, digits, '.', '_' or '-'.");
                            name = null;
                        }

                        break;
                    case "type":
                        type = String(value, "type");
                        if (type is not null and not ("local" or "webhook"))
                        {
                            Problem(value, $"type: '{type}' is not a deployment type (local, webhook).");
                            type = null;
                        }

                        break;
                    case "start":
                        start = StartCommand(value);
                        break;
                    case "health":
                        health = String(value, "health");
                        if (health is not null && (!health.StartsWith('/') || health.Any(char.IsWhiteSpace)))
                        {
                            Problem(value, "health: a URL path starting with '/'.");
                        }

                        break;
                    case "port":
                        port = Int(value, "port", 1, 65535);
                        break;
                    case "health_timeout":
                        healthTimeout = Timeout(value, "health_timeout");
                        break;
                    case "url":
                        if (String(value, "url") is { } text)
                        {
                            if (Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && parsed.UserInfo.Length == 0)
                            {
                                url = parsed;
                            }
                            else
                            {
                                Problem(value, "url: an absolute http(s) URL without credentials in it (use 'secret' to name the signing secret).");
                            }
                        }

                        break;
                    case "secret":
                        secret = String(value, "secret");
                        if (secret is not null && !SecretName().IsMatch(secret))
                        {
                            Problem(value, "secret: the name of a configured secret (letters, digits, '_', '.', '-'), not the secret itself.");
                        }

                        break;
                    case "when":
                        when = When(value);
                        break;
                    case "env":
                        env = Env(value);
                        break;
                    case "approval":
                        var mode = String(value, "approval");
                        approval = mode == "required";
                        if (mode is not null and not ("required" or "none"))
                        {
                            Problem(value, $"approval: '{mode}' is not an approval mode (required, none).");
                        }

                        break;
                    case "approvers":
                        approvers = Approvers(value);
                        break;
                    case "approval_timeout":
                        approvalTimeout = Timeout(value, "approval_timeout");
                        break;
                    case "deploy_timeout":
                        deployTimeout = Timeout(value, "deploy_timeout");
                        break;
                }
            }

            foreach (var key in new[] { "approvers", "approval_timeout" }.Where(k => present.ContainsKey(k) && !approval))
            {
                Problem(present[key], $"{key}: applies only with approval: required.");
            }

            if (!present.ContainsKey("name"))
            {
                Problem(node, "a deploy environment needs a name.");
            }

            if (!present.ContainsKey("type"))
            {
                Problem(node, "a deploy environment needs a type (local or webhook).");
            }

            if (name is null || type is null)
            {
                return null;
            }

            var wrongKeys = type == "local" ? new[] { "url", "secret" } : ["start", "health", "port", "health_timeout", "env"];
            foreach (var wrong in wrongKeys.Where(present.ContainsKey))
            {
                Problem(present[wrong], $"{wrong}: does not apply to a {type} environment.");
            }

            if (type == "local" && !present.ContainsKey("start"))
            {
                Problem(node, $"deploy environment '{name}': a local environment needs a start command.");
            }

            if (type == "webhook" && !present.ContainsKey("url"))
            {
                Problem(node, $"deploy environment '{name}': a webhook environment needs a url.");
            }

            return new DeployEnvironment(name, type == "local" ? DeployType.Local : DeployType.Webhook, start, health ?? "/", port, healthTimeout, url, secret, when, env,
                approval ? new DeployApproval(approvers ?? DeployApproval.DefaultApprovers, approvalTimeout ?? DeployApproval.DefaultTimeoutSeconds) : null, deployTimeout);
        }

        /// <summary>Roles that may approve: maintainer or owner (viewers and developers may not deploy, so may not approve a deployment).</summary>
        private List<string>? Approvers(YamlNode node)
        {
            var roles = node is YamlSequenceNode list ? list.Children.Select(c => String(c, "approvers (list item)")).ToList() : [String(node, "approvers")];
            if (roles.Count == 0 || roles.Any(r => r is null))
            {
                Problem(node, "approvers: a role or a list of roles (maintainer, owner).");
                return null;
            }

            var wrong = roles.Where(r => r is not ("maintainer" or "owner")).ToList();
            if (wrong.Count > 0)
            {
                Problem(node, $"approvers: {string.Join(", ", wrong.Select(w => $"'{w}'"))} may not approve deployments (maintainer, owner).");
                return null;
            }

            return roles.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        }

        private IReadOnlyList<string>? StartCommand(YamlNode node)
        {
            Count(node);
            if (node is YamlScalarNode scalar)
            {
                try
                {
                    return CommandLine.Split(scalar.Value ?? "");
                }
                catch (FormatException e)
                {
                    Problem(node, "start: " + e.Message);
                    return null;
                }
            }

            if (node is YamlSequenceNode list && list.Children.Count > 0)
            {
                var argv = list.Children.Select(c => String(c, "start (argv list item)")).ToList();
                return argv.Any(a => a is null) ? null : argv.OfType<string>().ToList();
            }

            Problem(node, "start: a command string or a non-empty list of arguments.");
            return null;
        }

        private int? Timeout(YamlNode node, string key)
        {
            var text = String(node, key);
            if (text is null)
            {
                return null;
            }

            if (!Duration.TryParseSeconds(text, out var seconds))
            {
                Problem(node, $"{key}: '{text}' is not a duration (seconds, or like 90s, 10m, 1h30m).");
                return null;
            }

            if (seconds is < 1 or > 86_400)
            {
                Problem(node, $"{key}: must be from 1 second to 24 hours.");
                return null;
            }

            return (int)seconds;
        }

        private List<string> Paths(YamlNode node, string key)
        {
            var paths = new List<string>();
            foreach (var item in ScalarItems(node, key))
            {
                if (RelativePath(item, key) is { } path)
                {
                    paths.Add(path);
                }
            }

            return paths;
        }

        private string? RelativePath(YamlNode node, string key)
        {
            var text = String(node, key);
            if (text is null)
            {
                return null;
            }

            var segments = text.Replace('\\', '/').Split('/');
            if (text.Length > 512 || text.StartsWith('/') || text.Contains('\0', StringComparison.Ordinal) || segments.Contains(".."))
            {
                Problem(node, $"{key}: '{text}' must be a path inside the repository (relative, without '..').");
                return null;
            }

            return text;
        }

        private List<string> StringList(YamlNode node, string key) =>
            ScalarItems(node, key).Select(item => String(item, key)).OfType<string>().ToList();

        /// <summary>A single scalar or a sequence of them: <c>branches: main</c> and <c>branches: [main]</c> both work.</summary>
        private IEnumerable<YamlNode> ScalarItems(YamlNode node, string key)
        {
            Count(node);
            if (node is YamlScalarNode)
            {
                return [node];
            }

            if (node is YamlSequenceNode sequence)
            {
                return sequence.Children;
            }

            Problem(node, $"{key}: expected a string or a list of strings, found a mapping.");
            return [];
        }

        private IEnumerable<(string Key, YamlNode Value)> Entries(YamlMappingNode map, string where, params string[] allowed)
        {
            foreach (var (keyNode, value) in map.Children)
            {
                Count(keyNode);
                if (keyNode is not YamlScalarNode { Value: { } key })
                {
                    Problem(keyNode, $"keys in {where} must be plain strings.");
                    continue;
                }

                if (!allowed.Contains(key, StringComparer.Ordinal))
                {
                    var suggestion = allowed.MinBy(a => Distance(a, key));
                    var hint = suggestion is not null && Distance(suggestion, key) <= 2 ? $" Did you mean '{suggestion}'?" : "";
                    Problem(keyNode, $"unknown key '{key}' in {where} (allowed: {string.Join(", ", allowed)}).{hint}");
                    continue;
                }

                yield return (key, value);
            }
        }

        private YamlMappingNode? Mapping(YamlNode node, string what)
        {
            Count(node);
            if (node is YamlMappingNode map)
            {
                return map;
            }

            Problem(node, $"{what}: expected a mapping (key: value), found {Describe(node)}.");
            return null;
        }

        private YamlSequenceNode? Sequence(YamlNode node, string what)
        {
            Count(node);
            if (node is YamlSequenceNode sequence)
            {
                return sequence;
            }

            Problem(node, $"{what}: expected a list, found {Describe(node)}.");
            return null;
        }

        private string? String(YamlNode node, string what, bool allowEmpty = false)
        {
            Count(node);
            if (node is YamlScalarNode { Value: { } value } scalar && (allowEmpty || value.Length > 0 || scalar.Style != YamlDotNet.Core.ScalarStyle.Plain))
            {
                return value;
            }

            Problem(node, $"{what}: expected a string, found {Describe(node)}.");
            return null;
        }

        private int? Int(YamlNode node, string what, int min, int max)
        {
            Count(node);
            if (node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                if (value < min || value > max)
                {
                    Problem(node, $"{what}: must be from {min} to {max}.");
                    return null;
                }

                return value;
            }

            Problem(node, $"{what}: expected a whole number from {min} to {max}, found {Describe(node)}.");
            return null;
        }

        private bool? Bool(YamlNode node, string what)
        {
            Count(node);
            if (node is YamlScalarNode { Value: "true" or "false" } scalar)
            {
                return scalar.Value == "true";
            }

            Problem(node, $"{what}: expected true or false, found {Describe(node)}.");
            return null;
        }

        private static string Describe(YamlNode node) => node switch
        {
            YamlMappingNode => "a mapping",
            YamlSequenceNode => "a list",
            YamlScalarNode { Value: null or "" } => "nothing",
            YamlScalarNode s => $"'{Truncate(s.Value!)}'",
            _ => "something else",
        };

        private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

        /// <summary>Aliases make the node model a graph: a small file could otherwise expand into billions of visits.</summary>
        private void Count(YamlNode node)
        {
            if (++_nodes == MaxNodes)
            {
                Problem(node, $"the file expands to more than {MaxNodes} values (too many aliases?).");
                throw new DevMentorConfigException(FileName, Problems);
            }
        }

        private void Problem(YamlNode node, string message) => Problems.Add(new ConfigProblem(node.Start.Line, node.Start.Column, message));

        private static int Distance(string a, string b)
        {
            var previous = Enumerable.Range(0, b.Length + 1).ToArray();
            for (var i = 1; i <= a.Length; i++)
            {
                var current = new int[b.Length + 1];
                current[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                }

                previous = current;
            }

            return previous[b.Length];
        }
    }
}
