// GoogleSQL (BigQuery standard SQL) parser, written for shredmit.
//
// Shape rules that keep ANTLR's SLL prediction local (and therefore fast):
// - joins are a flat list of join parts after the first from item, not a left-recursive rule;
// - expressions are two left-recursive rules: `expression` (boolean and comparison level) and
//   `valueExpression` (arithmetic, bitwise, field access, subscripts), so that the operands of
//   BETWEEN and of window frame bounds are value expressions and never swallow an AND;
// - a select item is factored on its leading expression (`t.*` versus `t.x AS y`).
// Operator precedence follows BigQuery's "Operator precedence" table; in a left-recursive rule
// the earlier alternative binds tighter.
parser grammar GoogleSQLParser;

options { tokenVocab = GoogleSQLLexer; }

// ---------------------------------------------------------------- entry points
// One query, as in a bigquery-etl query.sql.
queryFile: query SEMI* EOF;
// Statements separated by semicolons, as in a checks.sql.
statementFile: SEMI* (statement (SEMI+ statement)* SEMI*)? EOF;
statement: query;

// ---------------------------------------------------------------- queries
query: withClause? queryExpression orderByClause? limitClause?;

withClause: WITH RECURSIVE? cte (COMMA cte)*;
cte: identifier AS LPAREN query RPAREN;

queryExpression
    : queryPrimary                                         # primaryQueryExpression
    | queryExpression setOperator queryExpression          # setOperation
    ;
setOperator: (UNION | INTERSECT | EXCEPT) (ALL | DISTINCT);

queryPrimary
    : select
    | LPAREN query RPAREN
    ;

select
    : SELECT (AS (STRUCT | VALUE))? (ALL | DISTINCT)? selectList
      fromClause? whereClause? groupByClause? havingClause? qualifyClause? windowClause?
    ;

selectList: selectItem (COMMA selectItem)* COMMA?;
selectItem
    : STAR starModifiers                                                   # selectStar
    | expression (DOT STAR starModifiers | AS? alias=identifier)?          # selectExpression
    ;
starModifiers: starExcept? starReplace?;
starExcept: EXCEPT LPAREN identifier (COMMA identifier)* RPAREN;
starReplace: REPLACE LPAREN replaceItem (COMMA replaceItem)* RPAREN;
replaceItem: expression AS identifier;

// ---------------------------------------------------------------- FROM
fromClause: FROM fromExpression;
fromExpression: fromPrimary joinPart*;
joinPart
    : COMMA fromPrimary                                    # commaJoin
    | joinType? JOIN fromPrimary joinCondition?            # explicitJoin
    ;
joinType: CROSS | INNER | (LEFT | RIGHT | FULL) OUTER?;
joinCondition
    : ON expression                                        # onCondition
    | USING LPAREN identifier (COMMA identifier)* RPAREN   # usingCondition
    ;
fromPrimary
    : LPAREN query RPAREN (AS? identifier)?                                          # subqueryFrom
    | LPAREN fromExpression RPAREN                                                   # parenthesizedFrom
    | UNNEST LPAREN expression RPAREN (AS? identifier)? (WITH OFFSET (AS? offsetAlias=identifier)?)?  # unnestFrom
    | functionName LPAREN (functionArgument (COMMA functionArgument)*)? RPAREN (AS? identifier)?    # tableFunctionFrom
    | pathExpression (AS? identifier)?                                               # tableFrom
    ;
pathExpression: identifier (DOT fieldName)*;

// ---------------------------------------------------------------- clauses
whereClause: WHERE expression;
groupByClause: GROUP BY (ALL | groupingItem (COMMA groupingItem)*);
groupingItem
    : ROLLUP LPAREN expression (COMMA expression)* RPAREN               # rollupItem
    | CUBE LPAREN expression (COMMA expression)* RPAREN                 # cubeItem
    | GROUPING SETS LPAREN groupingItem (COMMA groupingItem)* RPAREN    # groupingSetsItem
    | LPAREN RPAREN                                                     # emptyGroupingItem
    | expression                                                        # expressionGroupingItem
    ;
havingClause: HAVING expression;
qualifyClause: QUALIFY expression;
windowClause: WINDOW namedWindow (COMMA namedWindow)*;
namedWindow: identifier AS (identifier | LPAREN windowSpecification RPAREN);
windowSpecification
    : base=identifier? (PARTITION BY expression (COMMA expression)*)? orderByClause? windowFrame?
    ;
windowFrame: unit=(ROWS | RANGE) (BETWEEN frameBound AND frameBound | frameBound);
frameBound
    : UNBOUNDED (PRECEDING | FOLLOWING)
    | CURRENT ROW
    | valueExpression (PRECEDING | FOLLOWING)
    ;
orderByClause: ORDER BY orderingItem (COMMA orderingItem)*;
orderingItem: expression (ASC | DESC)? (NULLS (FIRST | LAST))?;
limitClause: LIMIT expression (OFFSET expression)?;

// ---------------------------------------------------------------- expressions
expression
    : valueExpression                                                   # valueExpr
    | expression comparisonOperator expression                          # comparison
    | expression NOT? LIKE quantifier=(ANY | SOME | ALL) inOperand      # quantifiedLike
    | expression NOT? LIKE expression                                   # like
    | expression NOT? BETWEEN valueExpression AND valueExpression       # between
    | expression NOT? IN inOperand                                      # in
    | expression IS NOT? (NULL_ | TRUE_ | FALSE_ | UNKNOWN)             # isTest
    | expression IS NOT? DISTINCT FROM expression                       # isDistinctFrom
    | NOT expression                                                    # not
    | expression AND expression                                         # and
    | expression OR expression                                          # or
    ;
comparisonOperator: EQ | NEQ | LT | LE | GT | GE;
inOperand
    : LPAREN query RPAREN                                  # inSubquery
    | UNNEST LPAREN expression RPAREN                      # inUnnest
    | LPAREN expression (COMMA expression)* RPAREN         # inList
    ;

valueExpression
    : primaryExpression                                                 # primary
    | valueExpression DOT fieldName                                     # fieldAccess
    | valueExpression LBRACKET subscriptIndex RBRACKET                  # subscript
    | op=(MINUS | PLUS | TILDE) valueExpression                         # unary
    | valueExpression op=(STAR | SLASH | CONCAT) valueExpression        # multiplicative
    | valueExpression op=(PLUS | MINUS) valueExpression                 # additive
    | valueExpression shiftOperator valueExpression                     # shift
    | valueExpression AMPERSAND valueExpression                         # bitwiseAnd
    | valueExpression CARET valueExpression                             # bitwiseXor
    | valueExpression PIPE valueExpression                              # bitwiseOr
    ;
shiftOperator: LT LT | GT GT;
subscriptIndex
    : position=(OFFSET | SAFE_OFFSET | ORDINAL | SAFE_ORDINAL) LPAREN expression RPAREN
    | expression
    ;

primaryExpression
    : literal                                                                      # literalExpr
    | NAMED_PARAMETER                                                              # namedParameter
    | SYSTEM_VARIABLE                                                              # systemVariable
    | QUESTION                                                                     # positionalParameter
    | CASE operand=expression? whenClause+ (ELSE elseResult=expression)? END       # caseExpr
    | (CAST | SAFE_CAST) LPAREN expression AS typeName (FORMAT format=expression)? RPAREN  # castExpr
    | EXTRACT LPAREN part=identifier (LPAREN partArgument=identifier RPAREN)? FROM expression
      (AT TIME ZONE timeZone=expression)? RPAREN                                   # extractExpr
    | INTERVAL expression part=identifier (TO toPart=identifier)?                  # intervalExpr
    | ARRAY LPAREN query RPAREN                                                    # arraySubquery
    | (ARRAY (LT typeName GT)?)? LBRACKET (expression (COMMA expression)*)? RBRACKET  # arrayConstructor
    | STRUCT (LT structTypeField (COMMA structTypeField)* GT)?
      LPAREN (structArgument (COMMA structArgument)*)? RPAREN                      # structConstructor
    | EXISTS LPAREN query RPAREN                                                   # existsExpr
    | LPAREN query RPAREN                                                          # scalarSubquery
    | LPAREN expression (COMMA expression)* RPAREN                                 # parenthesized
    | functionCall                                                                 # functionCallExpr
    | identifier                                                                   # identifierExpr
    ;
whenClause: WHEN condition=expression THEN result=expression;
structArgument: expression (AS identifier)?;

literal
    : STRING_LITERAL                                                               # stringLiteral
    | BYTES_LITERAL                                                                # bytesLiteral
    | INTEGER_LITERAL                                                              # integerLiteral
    | FLOAT_LITERAL                                                                # floatLiteral
    | (TRUE_ | FALSE_)                                                             # booleanLiteral
    | NULL_                                                                        # nullLiteral
    | kind=(DATE | DATETIME | TIME | TIMESTAMP | NUMERIC | BIGNUMERIC | JSON) STRING_LITERAL  # typedLiteral
    | RANGE LT typeName GT STRING_LITERAL                                          # rangeLiteral
    ;

functionCall
    : functionName LPAREN functionArguments? RPAREN overClause?
    ;
functionName
    : identifier (DOT fieldName)*
    | reservedFunctionName
    ;
// Reserved keywords that BigQuery also uses as function names.
reservedFunctionName: IF | LEFT | RIGHT | GROUPING | RANGE;
functionArguments
    : STAR
    | DISTINCT? functionArgument (COMMA functionArgument)* nullHandling? havingModifier?
      orderByClause? limitClause?
    ;
functionArgument
    : name=identifier FAT_ARROW expression                                         # namedArgument
    | lambdaParameters ARROW expression                                            # lambdaArgument
    | expression                                                                   # positionalArgument
    ;
lambdaParameters: identifier | LPAREN (identifier (COMMA identifier)*)? RPAREN;
nullHandling: (IGNORE | RESPECT) NULLS;
havingModifier: HAVING (MAX | MIN) expression;
overClause: OVER (identifier | LPAREN windowSpecification RPAREN);

// ---------------------------------------------------------------- types
typeName
    : ARRAY LT typeName GT                                                         # arrayType
    | STRUCT LT (structTypeField (COMMA structTypeField)*)? GT                      # structType
    | RANGE LT typeName GT                                                         # rangeType
    | INTERVAL                                                                     # intervalType
    | identifier (LPAREN INTEGER_LITERAL (COMMA INTEGER_LITERAL)* RPAREN)?          # namedType
    ;
structTypeField: identifier typeName | typeName;

// ---------------------------------------------------------------- names
identifier: IDENTIFIER | QUOTED_IDENTIFIER | nonReservedKeyword;
// After a dot, BigQuery accepts reserved keywords as field and path names (`t.all`).
fieldName: identifier | reservedKeyword;
nonReservedKeyword
    : BIGNUMERIC | DATE | DATETIME | FIRST | FORMAT | JSON | LAST | MAX | MIN | NUMERIC | OFFSET
    | ORDINAL | REPLACE | ROW | SAFE_OFFSET | SAFE_ORDINAL | SETS | TIME | TIMESTAMP | UNKNOWN
    | VALUE | ZONE
    ;
reservedKeyword
    : ALL | AND | ANY | ARRAY | AS | ASC | AT | BETWEEN | BY | CASE | CAST | CROSS | CUBE
    | CURRENT | DESC | DISTINCT | ELSE | END | EXCEPT | EXISTS | EXTRACT | FALSE_ | FOLLOWING
    | FOR | FROM | FULL | GROUP | GROUPING | HAVING | IF | IGNORE | IN | INNER | INTERSECT
    | INTERVAL | IS | JOIN | LEFT | LIKE | LIMIT | NATURAL | NOT | NULL_ | NULLS | ON | OR
    | ORDER | OUTER | OVER | PARTITION | PRECEDING | QUALIFY | RANGE | RECURSIVE | RESPECT
    | RIGHT | ROLLUP | ROWS | SAFE_CAST | SELECT | SOME | STRUCT | TABLESAMPLE | THEN | TO
    | TRUE_ | UNBOUNDED | UNION | UNNEST | USING | WHEN | WHERE | WINDOW | WITH
    ;
