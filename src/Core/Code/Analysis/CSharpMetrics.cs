using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DevMentor.Core.Code.Analysis;

/// <param name="Name">Type.Method (constructors .ctor, accessors Property.get, local functions Method.Local).</param>
/// <param name="Line">1-based line of the declaration.</param>
public sealed record MethodMetric(string Name, int Line, int Complexity);

/// <param name="Maintainability">Visual Studio's index, 0-100: max(0, (171 - 5.2 ln V - 0.23 CC - 16.2 ln LOC) × 100 / 171).</param>
public sealed record TypeMetric(string Name, int Line, int Complexity, int Lines, double Maintainability);

public sealed record CSharpFileMetrics(IReadOnlyList<MethodMetric> Methods, IReadOnlyList<TypeMetric> Types);

/// <summary>
/// Cyclomatic complexity per method and maintainability index per type from Roslyn syntax trees
/// (no compilation: the syntax alone decides, so a file is measured without its references).
/// Complexity is 1 plus each decision: if, case labels and switch-expression arms other than the
/// default, loops, catch, ?:, ??, ??=, &amp;&amp;, || and pattern and/or.
/// </summary>
public static class CSharpMetrics
{
    private static readonly CSharpParseOptions Options = new(LanguageVersion.Preview, DocumentationMode.None);

    public static CSharpFileMetrics Measure(string text, CancellationToken cancellationToken)
    {
        var root = CSharpSyntaxTree.ParseText(text, Options, cancellationToken: cancellationToken).GetRoot(cancellationToken);
        var methods = new List<MethodMetric>();
        var types = new List<TypeMetric>();
        foreach (var type in root.DescendantNodes().OfType<TypeDeclarationSyntax>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var typeName = TypeName(type);
            var typeComplexity = 0;
            foreach (var member in type.Members)
            {
                foreach (var (name, body, line) in Bodies(member))
                {
                    var complexity = Complexity(body);
                    typeComplexity += complexity;
                    methods.Add(new MethodMetric($"{typeName}.{name}", line, complexity));
                }
            }

            var span = type.GetLocation().GetLineSpan();
            var lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
            types.Add(new TypeMetric(typeName, span.StartLinePosition.Line + 1, Math.Max(typeComplexity, 1), lines, Maintainability(type, Math.Max(typeComplexity, 1), lines)));
        }

        return new CSharpFileMetrics(methods, types);
    }

    /// <summary>The members that hold code, each with its own complexity (nested types are measured on their own).</summary>
    private static IEnumerable<(string Name, SyntaxNode Body, int Line)> Bodies(MemberDeclarationSyntax member)
    {
        int Line(SyntaxNode node) => node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
        switch (member)
        {
            case MethodDeclarationSyntax method when ((SyntaxNode?)method.Body ?? method.ExpressionBody) is { } body:
                yield return (method.Identifier.ValueText, body, Line(method));
                break;
            case ConstructorDeclarationSyntax ctor when ((SyntaxNode?)ctor.Body ?? ctor.ExpressionBody) is { } body:
                yield return (".ctor", body, Line(ctor));
                break;
            case OperatorDeclarationSyntax op when ((SyntaxNode?)op.Body ?? op.ExpressionBody) is { } body:
                yield return ("op_" + op.OperatorToken.ValueText, body, Line(op));
                break;
            case PropertyDeclarationSyntax property when property.ExpressionBody is { } body:
                yield return (property.Identifier.ValueText + ".get", body, Line(property));
                break;
            case BasePropertyDeclarationSyntax property when property.AccessorList is { } accessors:
                var owner = property switch
                {
                    PropertyDeclarationSyntax p => p.Identifier.ValueText,
                    EventDeclarationSyntax e => e.Identifier.ValueText,
                    _ => "this",
                };
                foreach (var accessor in accessors.Accessors)
                {
                    if (((SyntaxNode?)accessor.Body ?? accessor.ExpressionBody) is { } accessorBody)
                    {
                        yield return ($"{owner}.{accessor.Keyword.ValueText}", accessorBody, Line(accessor));
                    }
                }

                break;
        }
    }

    public static int Complexity(SyntaxNode body)
    {
        var complexity = 1;
        foreach (var node in body.DescendantNodesAndSelf(n => n is not (TypeDeclarationSyntax)))
        {
            complexity += node switch
            {
                IfStatementSyntax or WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or ForEachStatementSyntax
                    or ForEachVariableStatementSyntax or CatchClauseSyntax or ConditionalExpressionSyntax or CaseSwitchLabelSyntax
                    or CasePatternSwitchLabelSyntax => 1,
                SwitchExpressionArmSyntax arm when arm.Pattern is not DiscardPatternSyntax => 1,
                BinaryExpressionSyntax binary when binary.Kind() is SyntaxKind.LogicalAndExpression or SyntaxKind.LogicalOrExpression or SyntaxKind.CoalesceExpression => 1,
                AssignmentExpressionSyntax assignment when assignment.Kind() == SyntaxKind.CoalesceAssignmentExpression => 1,
                BinaryPatternSyntax => 1,
                _ => 0,
            };
        }

        return complexity;
    }

    /// <summary>Halstead volume from the type's tokens: operators are punctuation and keywords, operands identifiers and literals.</summary>
    private static double Maintainability(TypeDeclarationSyntax type, int complexity, int lines)
    {
        var total = 0;
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in type.DescendantTokens())
        {
            total++;
            distinct.Add(token.ValueText);
        }

        var volume = total * Math.Log2(Math.Max(distinct.Count, 2));
        var index = (171 - (5.2 * Math.Log(Math.Max(volume, 1))) - (0.23 * complexity) - (16.2 * Math.Log(Math.Max(lines, 1)))) * 100 / 171;
        return Math.Round(Math.Clamp(index, 0, 100), 1);
    }

    private static string TypeName(TypeDeclarationSyntax type)
    {
        var name = type.Identifier.ValueText;
        for (var parent = type.Parent as TypeDeclarationSyntax; parent is not null; parent = parent.Parent as TypeDeclarationSyntax)
        {
            name = parent.Identifier.ValueText + "." + name;
        }

        return name;
    }
}
