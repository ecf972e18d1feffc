package dev.finetune.templates;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recursive-descent parser for the Jinja subset of chat templates, with Jinja's operator precedence (lowest
 * first): {@code x if c else y}, or, and, not, comparisons / in / is, + -, ~, * / // %, **, unary - +,
 * then primaries with postfix access, calls and filters.
 */
final class Parser {
    private static final Set<String> COMPARE = new HashSet<>(Arrays.asList("==", "!=", "<", "<=", ">", ">="));

    private final List<Token> tokens;
    private int pos;

    Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    List<Stmt> parseTemplate() {
        List<Stmt> body = parseBody();
        if (peek().kind != Token.Kind.EOF) {
            Token t = tokens.get(pos + 1);
            throw error(t, "unexpected {% " + t.value + " %} with no open block to close");
        }
        return body;
    }

    /** Statements until EOF or a block tag whose keyword ends the enclosing block (left unconsumed). */
    private List<Stmt> parseBody(String... enders) {
        List<Stmt> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind) {
                case EOF:
                    if (enders.length > 0) {
                        throw error(t, "missing {% " + enders[enders.length - 1] + " %}");
                    }
                    return body;
                case TEXT:
                    pos++;
                    body.add(new Stmt.Text(t.line, t.value));
                    break;
                case VAR_BEGIN:
                    pos++;
                    body.add(new Stmt.Print(t.line, parseExpression()));
                    expect(Token.Kind.VAR_END, "}}");
                    break;
                case BLOCK_BEGIN:
                    Token kw = tokens.get(pos + 1);
                    for (String e : enders) {
                        if (kw.isName(e)) {
                            return body;
                        }
                    }
                    if (enders.length == 0 && kw.kind == Token.Kind.NAME && isEnder(kw.value)) {
                        return body;
                    }
                    pos += 2;
                    body.add(parseStatement(kw));
                    break;
                default:
                    throw error(t, "unexpected " + t);
            }
        }
    }

    private static boolean isEnder(String kw) {
        return kw.startsWith("end") || kw.equals("else") || kw.equals("elif");
    }

    private Stmt parseStatement(Token kw) {
        switch (kw.value) {
            case "if":
                return parseIf(kw);
            case "for":
                return parseFor(kw);
            case "set":
                return parseSet(kw);
            case "macro":
                return parseMacro(kw);
            case "break":
            case "continue":
                expectBlockEnd();
                return new Stmt.Control(
                        kw.line, kw.value.equals("break") ? Stmt.LoopControl.BREAK : Stmt.LoopControl.CONTINUE);
            case "generation":
                expectBlockEnd();
                List<Stmt> body = parseBody("endgeneration");
                endBlock("endgeneration");
                return new Stmt.Block(kw.line, body);
            default:
                throw error(kw, "unknown tag {% " + kw.value + " %}");
        }
    }

    private Stmt parseIf(Token kw) {
        List<Expr> conds = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        conds.add(parseExpression());
        expectBlockEnd();
        while (true) {
            bodies.add(parseBody("elif", "else", "endif"));
            Token end = tokens.get(pos + 1);
            pos += 2;
            if (end.isName("elif")) {
                conds.add(parseExpression());
                expectBlockEnd();
            } else if (end.isName("else")) {
                expectBlockEnd();
                conds.add(null);
                bodies.add(parseBody("endif"));
                endBlock("endif");
                break;
            } else {
                expectBlockEnd();
                break;
            }
        }
        return new Stmt.If(kw.line, conds, bodies);
    }

    private Stmt parseFor(Token kw) {
        List<String> targets = parseTargets();
        expectName("in");
        Expr iterable = parseOr(); // not parseExpression: a trailing 'if' is the loop filter
        Expr filter = null;
        if (peek().isName("if")) {
            pos++;
            filter = parseOr();
        }
        if (peek().isName("recursive")) {
            throw error(peek(), "recursive for loops are not supported");
        }
        expectBlockEnd();
        List<Stmt> body = parseBody("else", "endfor");
        List<Stmt> elseBody = Stmt.none();
        if (tokens.get(pos + 1).isName("else")) {
            pos += 2;
            expectBlockEnd();
            elseBody = parseBody("endfor");
        }
        endBlock("endfor");
        return new Stmt.For(kw.line, targets, iterable, filter, body, elseBody);
    }

    private Stmt parseSet(Token kw) {
        String first = expectKind(Token.Kind.NAME, "a variable name").value;
        if (peek().isOp(".")) {
            pos++;
            String attr = expectKind(Token.Kind.NAME, "an attribute name").value;
            expectOp("=");
            Expr value = parseExpression();
            expectBlockEnd();
            return new Stmt.Set(kw.line, List.of(first), attr, value, null);
        }
        List<String> names = new ArrayList<>();
        names.add(first);
        while (peek().isOp(",")) {
            pos++;
            names.add(expectKind(Token.Kind.NAME, "a variable name").value);
        }
        if (peek().kind == Token.Kind.BLOCK_END) {
            pos++;
            List<Stmt> block = parseBody("endset");
            endBlock("endset");
            return new Stmt.Set(kw.line, names, null, null, block);
        }
        expectOp("=");
        Expr value = parseExpression();
        expectBlockEnd();
        return new Stmt.Set(kw.line, names, null, value, null);
    }

    private Stmt parseMacro(Token kw) {
        String name = expectKind(Token.Kind.NAME, "a macro name").value;
        expectOp("(");
        List<String> params = new ArrayList<>();
        Map<String, Expr> defaults = new LinkedHashMap<>();
        while (!peek().isOp(")")) {
            String p = expectKind(Token.Kind.NAME, "a parameter name").value;
            params.add(p);
            if (peek().isOp("=")) {
                pos++;
                defaults.put(p, parseExpression());
            }
            if (!peek().isOp(")")) {
                expectOp(",");
            }
        }
        pos++;
        expectBlockEnd();
        List<Stmt> body = parseBody("endmacro");
        endBlock("endmacro");
        return new Stmt.Macro(kw.line, name, params, defaults, body);
    }

    private List<String> parseTargets() {
        List<String> names = new ArrayList<>();
        boolean paren = peek().isOp("(");
        if (paren) {
            pos++;
        }
        names.add(expectKind(Token.Kind.NAME, "a loop variable").value);
        while (peek().isOp(",")) {
            pos++;
            names.add(expectKind(Token.Kind.NAME, "a loop variable").value);
        }
        if (paren) {
            expectOp(")");
        }
        return names;
    }

    private void endBlock(String name) {
        expectKind(Token.Kind.BLOCK_BEGIN, "{%");
        expectName(name);
        expectBlockEnd();
    }

    // ---- expressions, lowest precedence first

    Expr parseExpression() {
        Expr e = parseOr();
        if (peek().isName("if")) {
            int line = next().line;
            Expr cond = parseOr();
            Expr otherwise = null;
            if (peek().isName("else")) {
                pos++;
                otherwise = parseExpression();
            }
            return new Expr.Conditional(line, cond, e, otherwise);
        }
        return e;
    }

    private Expr parseOr() {
        Expr e = parseAnd();
        while (peek().isName("or")) {
            int line = next().line;
            e = new Expr.Binary(line, "or", e, parseAnd());
        }
        return e;
    }

    private Expr parseAnd() {
        Expr e = parseNot();
        while (peek().isName("and")) {
            int line = next().line;
            e = new Expr.Binary(line, "and", e, parseNot());
        }
        return e;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            int line = next().line;
            return new Expr.Unary(line, "not", parseNot());
        }
        return parseCompare();
    }

    /** Comparisons chain as in Python: {@code a < b < c} is {@code a < b and b < c}. */
    private Expr parseCompare() {
        Expr left = parseMath1();
        Expr result = null;
        while (true) {
            Token t = peek();
            Expr cmp;
            Expr right;
            if (t.kind == Token.Kind.OP && COMPARE.contains(t.value)) {
                pos++;
                right = parseMath1();
                cmp = new Expr.Binary(t.line, t.value, left, right);
            } else if (t.isName("in")) {
                pos++;
                right = parseMath1();
                cmp = new Expr.Binary(t.line, "in", left, right);
            } else if (t.isName("not") && tokens.get(pos + 1).isName("in")) {
                pos += 2;
                right = parseMath1();
                cmp = new Expr.Unary(t.line, "not", new Expr.Binary(t.line, "in", left, right));
            } else {
                return result == null ? left : result;
            }
            result = result == null ? cmp : new Expr.Binary(t.line, "and", result, cmp);
            left = right;
        }
    }

    private Expr parseMath1() {
        Expr e = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token t = next();
            e = new Expr.Binary(t.line, t.value, e, parseConcat());
        }
        return e;
    }

    private Expr parseConcat() {
        Expr e = parseMath2();
        while (peek().isOp("~")) {
            Token t = next();
            e = new Expr.Binary(t.line, "~", e, parseMath2());
        }
        return e;
    }

    private Expr parseMath2() {
        Expr e = parsePow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            Token t = next();
            e = new Expr.Binary(t.line, t.value, e, parsePow());
        }
        return e;
    }

    private Expr parsePow() {
        Expr e = parseUnary();
        while (peek().isOp("**")) {
            Token t = next();
            e = new Expr.Binary(t.line, "**", e, parseUnary());
        }
        return e;
    }

    private Expr parseUnary() {
        Token t = peek();
        if (t.isOp("-") || t.isOp("+")) {
            pos++;
            return parseFilters(new Expr.Unary(t.line, t.value, parseUnaryNoFilter()));
        }
        return parseFilters(parsePostfix(parsePrimary()));
    }

    private Expr parseUnaryNoFilter() {
        Token t = peek();
        if (t.isOp("-") || t.isOp("+")) {
            pos++;
            return new Expr.Unary(t.line, t.value, parseUnaryNoFilter());
        }
        return parsePostfix(parsePrimary());
    }

    /** {@code | filter(args)} and {@code is [not] test(args)} chains. */
    private Expr parseFilters(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                pos++;
                String name = expectKind(Token.Kind.NAME, "a filter name").value;
                List<Expr> args = new ArrayList<>();
                Map<String, Expr> kwargs = new LinkedHashMap<>();
                if (peek().isOp("(")) {
                    pos++;
                    parseArgs(args, kwargs);
                }
                e = parsePostfix(new Expr.Filter(t.line, e, name, args, kwargs));
            } else if (t.isName("is")) {
                pos++;
                boolean negated = false;
                if (peek().isName("not")) {
                    pos++;
                    negated = true;
                }
                Token name = next();
                if (name.kind != Token.Kind.NAME && !(name.kind == Token.Kind.OP && COMPARE.contains(name.value))) {
                    throw error(name, "expected a test name after 'is', found " + name);
                }
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    pos++;
                    parseArgs(args, new LinkedHashMap<>());
                } else if (startsArgument(peek())) {
                    args.add(parsePostfix(parsePrimary())); // `is sameas false`, `is divisibleby 3`
                }
                e = new Expr.Test(t.line, e, name.value, args, negated);
            } else {
                return e;
            }
        }
    }

    private static boolean startsArgument(Token t) {
        switch (t.kind) {
            case STRING:
            case INT:
            case FLOAT:
                return true;
            case NAME:
                return !Arrays.asList("and", "or", "if", "else", "in", "not", "is")
                        .contains(t.value);
            default:
                return t.isOp("(") || t.isOp("[") || t.isOp("{");
        }
    }

    private Expr parsePostfix(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                pos++;
                Token name = next();
                if (name.kind != Token.Kind.NAME && name.kind != Token.Kind.INT) {
                    throw error(name, "expected an attribute name after '.', found " + name);
                }
                e = name.kind == Token.Kind.INT
                        ? new Expr.Item(t.line, e, new Expr.Literal(t.line, Long.parseLong(name.value)))
                        : new Expr.Attr(t.line, e, name.value);
            } else if (t.isOp("[")) {
                pos++;
                e = parseSubscript(e, t.line);
            } else if (t.isOp("(")) {
                pos++;
                List<Expr> args = new ArrayList<>();
                Map<String, Expr> kwargs = new LinkedHashMap<>();
                parseArgs(args, kwargs);
                e = new Expr.Call(t.line, e, args, kwargs);
            } else {
                return e;
            }
        }
    }

    private Expr parseSubscript(Expr target, int line) {
        Expr[] parts = new Expr[3];
        int part = 0;
        boolean isSlice = false;
        while (!peek().isOp("]")) {
            if (peek().isOp(":")) {
                pos++;
                isSlice = true;
                if (++part > 2) {
                    throw error(peek(), "a slice has at most three parts");
                }
            } else {
                parts[part] = parseExpression();
            }
        }
        pos++;
        if (isSlice) {
            return new Expr.Slice(line, target, parts[0], parts[1], parts[2]);
        }
        if (parts[0] == null) {
            throw error(peek(), "empty subscript []");
        }
        return new Expr.Item(line, target, parts[0]);
    }

    /** Arguments after '(' through ')': positional, then name=value. */
    private void parseArgs(List<Expr> args, Map<String, Expr> kwargs) {
        while (!peek().isOp(")")) {
            if (peek().kind == Token.Kind.NAME && tokens.get(pos + 1).isOp("=")) {
                String name = next().value;
                pos++;
                kwargs.put(name, parseExpression());
            } else {
                args.add(parseExpression());
            }
            if (!peek().isOp(")")) {
                expectOp(",");
            }
        }
        pos++;
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.kind) {
            case STRING: {
                StringBuilder sb = new StringBuilder(t.value);
                while (peek().kind == Token.Kind.STRING) { // adjacent literals concatenate, as in Python
                    sb.append(next().value);
                }
                return new Expr.Literal(t.line, sb.toString());
            }
            case INT:
                return new Expr.Literal(t.line, Long.parseLong(t.value));
            case FLOAT:
                return new Expr.Literal(t.line, Double.parseDouble(t.value));
            case NAME:
                switch (t.value) {
                    case "true":
                    case "True":
                        return new Expr.Literal(t.line, Boolean.TRUE);
                    case "false":
                    case "False":
                        return new Expr.Literal(t.line, Boolean.FALSE);
                    case "none":
                    case "None":
                        return new Expr.Literal(t.line, null);
                    default:
                        return new Expr.Name(t.line, t.value);
                }
            case OP:
                if (t.value.equals("(")) {
                    if (peek().isOp(")")) {
                        pos++;
                        return new Expr.TupleLit(t.line, new ArrayList<>());
                    }
                    Expr e = parseExpression();
                    if (peek().isOp(",")) { // a tuple: treated as a list
                        List<Expr> items = new ArrayList<>();
                        items.add(e);
                        while (peek().isOp(",")) {
                            pos++;
                            if (peek().isOp(")")) {
                                break;
                            }
                            items.add(parseExpression());
                        }
                        e = new Expr.TupleLit(t.line, items);
                    }
                    expectOp(")");
                    return e;
                }
                if (t.value.equals("[")) {
                    List<Expr> items = new ArrayList<>();
                    while (!peek().isOp("]")) {
                        items.add(parseExpression());
                        if (!peek().isOp("]")) {
                            expectOp(",");
                        }
                    }
                    pos++;
                    return new Expr.ListLit(t.line, items);
                }
                if (t.value.equals("{")) {
                    List<Expr> keys = new ArrayList<>();
                    List<Expr> values = new ArrayList<>();
                    while (!peek().isOp("}")) {
                        keys.add(parseExpression());
                        expectOp(":");
                        values.add(parseExpression());
                        if (!peek().isOp("}")) {
                            expectOp(",");
                        }
                    }
                    pos++;
                    return new Expr.DictLit(t.line, keys, values);
                }
                break;
            default:
                break;
        }
        throw error(t, "unexpected " + t + " in an expression");
    }

    // ---- token helpers

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        return tokens.get(pos++);
    }

    private Token expectKind(Token.Kind kind, String what) {
        Token t = next();
        if (t.kind != kind) {
            throw error(t, "expected " + what + ", found " + t);
        }
        return t;
    }

    private void expect(Token.Kind kind, String what) {
        expectKind(kind, what);
    }

    private void expectOp(String op) {
        Token t = next();
        if (!t.isOp(op)) {
            throw error(t, "expected '" + op + "', found " + t);
        }
    }

    private void expectName(String name) {
        Token t = next();
        if (!t.isName(name)) {
            throw error(t, "expected '" + name + "', found " + t);
        }
    }

    private void expectBlockEnd() {
        expect(Token.Kind.BLOCK_END, "%}");
    }

    private static TemplateException error(Token t, String message) {
        return new TemplateException("line " + t.line + ": " + message);
    }
}
