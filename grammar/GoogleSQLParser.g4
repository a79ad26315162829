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
// Statements separated by semicolons: a script, a udf.sql, a view.sql, a checks.sql.
statementFile: SEMI* (statement (SEMI+ statement)* SEMI*)? EOF;
// The body of a block, a loop or an IF branch: each statement ends with a semicolon.
statementList: (statement SEMI+)*;

// ---------------------------------------------------------------- statements
// Every statement kind starts with its own keyword (or a label), so that prediction decides
// on the first one or two tokens.
statement
    : query                                                                # queryStatement
    | CREATE (OR REPLACE)? (TEMP | TEMPORARY)? AGGREGATE? FUNCTION (IF NOT EXISTS)?
      name=tablePath LPAREN (functionParameter (COMMA functionParameter)*)? RPAREN
      (RETURNS typeName)? (NOT? DETERMINISTIC)? (LANGUAGE language=identifier)?
      before=optionsClause? (AS body=functionBody)? after=optionsClause?  # createFunction
    | CREATE (OR REPLACE)? TABLE FUNCTION (IF NOT EXISTS)? name=tablePath
      LPAREN (functionParameter (COMMA functionParameter)*)? RPAREN
      (RETURNS typeName)? optionsClause? AS query                          # createTableFunction
    | CREATE (OR REPLACE)? PROCEDURE (IF NOT EXISTS)? name=tablePath
      LPAREN (procedureParameter (COMMA procedureParameter)*)? RPAREN optionsClause?
      BEGIN statementList exceptionHandler? END                            # createProcedure
    | CREATE (OR REPLACE)? (TEMP | TEMPORARY)? (SNAPSHOT | EXTERNAL)? TABLE (IF NOT EXISTS)?
      name=tablePath (LPAREN columnDefinition (COMMA columnDefinition)* COMMA? RPAREN)?
      (sourceKind=(LIKE | COPY | CLONE) source=tablePath forSystemTime?)?
      (DEFAULT COLLATE collation=STRING_LITERAL)?
      (PARTITION BY partitionBy=expression)? (CLUSTER BY expression (COMMA expression)*)?
      optionsClause? (AS query)?                                           # createTable
    | CREATE (OR REPLACE)? MATERIALIZED? VIEW (IF NOT EXISTS)? name=tablePath
      (LPAREN viewColumn (COMMA viewColumn)* RPAREN)?
      (PARTITION BY partitionBy=expression)? (CLUSTER BY expression (COMMA expression)*)?
      optionsClause? AS query                                              # createView
    | CREATE SCHEMA (IF NOT EXISTS)? name=tablePath optionsClause?    # createSchema
    | DROP (SNAPSHOT | EXTERNAL | MATERIALIZED)? objectKind=(TABLE | VIEW | FUNCTION | PROCEDURE
      | SCHEMA) (IF EXISTS)? name=tablePath (CASCADE | RESTRICT)?     # dropStatement
    | INSERT INTO? target=tablePath
      (LPAREN identifier (COMMA identifier)* RPAREN)? insertSource         # insertStatement
    | DELETE FROM? target=tablePath (AS? alias=identifier)?
      WHERE expression                                                     # deleteStatement
    | UPDATE target=tablePath (AS? alias=identifier)? SET updateItem (COMMA updateItem)*
      (FROM fromExpression)? WHERE expression                              # updateStatement
    | MERGE INTO? target=tablePath (AS? alias=identifier)? USING fromPrimary
      ON expression mergeClause+                                           # mergeStatement
    | TRUNCATE TABLE name=tablePath                                   # truncateStatement
    | EXPORT DATA (WITH CONNECTION connection=pathExpression)? optionsClause AS query  # exportData
    | DECLARE identifier (COMMA identifier)* typeName? (DEFAULT expression)? # declareStatement
    | SET target=setTarget EQ expression                                   # setStatement
    | SET LPAREN identifier (COMMA identifier)* RPAREN EQ expression        # setTupleStatement
    | (label=identifier COLON)? BEGIN statementList exceptionHandler? END   # blockStatement
    | BEGIN TRANSACTION?                                                   # beginTransaction
    | COMMIT TRANSACTION?                                                  # commitTransaction
    | ROLLBACK TRANSACTION?                                                # rollbackTransaction
    | IF expression THEN statementList elseIfBranch* (ELSE elseBody=statementList)? END IF # ifStatement
    | (label=identifier COLON)? LOOP statementList END LOOP                # loopStatement
    | (label=identifier COLON)? WHILE expression DO statementList END WHILE  # whileStatement
    | (label=identifier COLON)? REPEAT statementList UNTIL expression END REPEAT  # repeatStatement
    | (label=identifier COLON)? FOR variable=identifier IN LPAREN query RPAREN
      DO statementList END FOR                                             # forStatement
    | kind=(BREAK | LEAVE | CONTINUE | ITERATE) label=identifier?          # loopControl
    | RETURN                                                               # returnStatement
    | RAISE (USING MESSAGE EQ expression)?                                 # raiseStatement
    | CALL name=pathExpression LPAREN (expression (COMMA expression)*)? RPAREN  # callStatement
    | EXECUTE IMMEDIATE sql=expression (INTO identifier (COMMA identifier)*)?
      (USING executeArgument (COMMA executeArgument)*)?                    # executeImmediate
    | ASSERT expression (AS description=STRING_LITERAL)?                   # assertStatement
    ;

functionParameter: identifier (ANY TYPE | typeName) (NOT AGGREGATE)?;
functionBody: expression;
procedureParameter: direction=(IN | OUT | INOUT)? identifier typeName;
optionsClause: OPTIONS LPAREN (optionEntry (COMMA optionEntry)*)? RPAREN;
optionEntry: identifier EQ expression;
columnDefinition: identifier typeName fieldAttributes;
fieldAttributes: (NOT NULL_)? (DEFAULT expression)? optionsClause?;
viewColumn: identifier optionsClause?;
insertSource
    : VALUES valuesRow (COMMA valuesRow)*                                  # insertValues
    | query                                                                # insertQuery
    ;
valuesRow: LPAREN valuesItem (COMMA valuesItem)* RPAREN;
valuesItem: DEFAULT | expression;
updateItem: valueExpression EQ valuesItem;
mergeClause
    : WHEN NOT? MATCHED (BY by=(TARGET | SOURCE))? (AND condition=expression)? THEN mergeAction
    ;
mergeAction
    : UPDATE SET updateItem (COMMA updateItem)*                            # mergeUpdate
    | INSERT (LPAREN identifier (COMMA identifier)* RPAREN)? (VALUES valuesRow | ROW)  # mergeInsert
    | DELETE                                                               # mergeDelete
    ;
setTarget: identifier | SYSTEM_VARIABLE;
elseIfBranch: ELSEIF expression THEN statementList;
exceptionHandler: EXCEPTION WHEN ERROR THEN statementList;
executeArgument: expression (AS identifier)?;

// ---------------------------------------------------------------- queries
query: withClause? queryExpression orderByClause? limitClause?;

withClause: WITH RECURSIVE? cte (COMMA cte)*;
cte: identifier AS LPAREN query RPAREN;

queryExpression
    : queryPrimary                                         # primaryQueryExpression
    | queryExpression setOperator queryExpression          # setOperation
    ;
setOperator
    : (outerMode=(FULL | LEFT | INNER) OUTER? | OUTER)? kind=(UNION | INTERSECT | EXCEPT) (ALL | DISTINCT)
      (BY NAME (ON columnList)? | STRICT? CORRESPONDING (BY columnList)?)?
    ;
columnList: LPAREN identifier (COMMA identifier)* RPAREN;

queryPrimary
    : select
    | LPAREN query RPAREN
    ;

select
    : SELECT (ALL | DISTINCT)? (AS (STRUCT | VALUE))? selectList
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
fromPrimary: fromBase fromSuffix*;
fromBase
    : LPAREN query RPAREN (AS? identifier)?                                          # subqueryFrom
    | LPAREN fromExpression RPAREN                                                   # parenthesizedFrom
    | UNNEST LPAREN expression RPAREN (AS? identifier)? (WITH OFFSET (AS? offsetAlias=identifier)?)?  # unnestFrom
    | functionName LPAREN (functionArgument (COMMA functionArgument)*)? RPAREN (AS? identifier)?    # tableFunctionFrom
    | tablePath forSystemTime? (AS? identifier)? tablesample?                        # tableFrom
    ;
// PIVOT and UNPIVOT apply to the from item before them.
fromSuffix
    : PIVOT LPAREN pivotAggregate (COMMA pivotAggregate)* FOR valueExpression
      IN LPAREN pivotValue (COMMA pivotValue)* RPAREN RPAREN (AS? alias=identifier)?  # pivot
    | UNPIVOT (nulls=(INCLUDE | EXCLUDE) NULLS)? LPAREN unpivotColumns FOR name=identifier
      IN LPAREN unpivotValue (COMMA unpivotValue)* RPAREN RPAREN (AS? alias=identifier)?  # unpivot
    ;
pivotAggregate: expression (AS? identifier)?;
pivotValue: expression (AS? identifier)?;
unpivotColumns: identifier | LPAREN identifier (COMMA identifier)* RPAREN;
unpivotValue: unpivotColumns (AS? (STRING_LITERAL | INTEGER_LITERAL))?;
forSystemTime: FOR SYSTEM_TIME AS OF valueExpression;
tablesample: TABLESAMPLE SYSTEM LPAREN valueExpression unit=(PERCENT | ROWS) RPAREN;
// A table path in FROM and DDL: the first part may be an unquoted project name with dashes
// (my-project.dataset.table), as BigQuery allows there.
tablePath: dashedName (DOT fieldName)*;
dashedName: identifier (MINUS (identifier | INTEGER_LITERAL))*;
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
    : STRING_LITERAL+                                                              # stringLiteral
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
    | TABLE LT (structTypeField (COMMA structTypeField)*)? GT                       # tableType
    | identifier (LPAREN INTEGER_LITERAL (COMMA INTEGER_LITERAL)* RPAREN)?          # namedType
    ;
structTypeField: identifier typeName fieldAttributes | typeName;

// ---------------------------------------------------------------- names
identifier: IDENTIFIER | QUOTED_IDENTIFIER | nonReservedKeyword;
// After a dot, BigQuery accepts reserved keywords as field and path names (`t.all`).
fieldName: identifier | reservedKeyword;
nonReservedKeyword
    : BIGNUMERIC | DATE | DATETIME | FIRST | FORMAT | JSON | LAST | MAX | MIN | NUMERIC | OFFSET
    | ORDINAL | REPLACE | ROW | SAFE_OFFSET | SAFE_ORDINAL | SETS | TIME | TIMESTAMP | UNKNOWN
    | VALUE | ZONE
    | AGGREGATE | ASSERT | BEGIN | BREAK | CALL | CASCADE | CLONE | CLUSTER | COMMIT | CONNECTION
    | CONTINUE | COPY | CORRESPONDING | DATA | DECLARE | DELETE | DETERMINISTIC | DO | DROP
    | ELSEIF | ERROR | EXCEPTION | EXECUTE | EXPORT | EXTERNAL | FUNCTION | IMMEDIATE | INCLUDE
    | INOUT | INSERT | ITERATE | LANGUAGE | LEAVE | LOOP | MATCHED | MATERIALIZED | MESSAGE
    | NAME | OPTIONS | OUT | PERCENT | PIVOT | PROCEDURE | RAISE | REPEAT | RESTRICT | RETURN
    | RETURNS | ROLLBACK | SCHEMA | SNAPSHOT | SOURCE | STRICT | SYSTEM | SYSTEM_TIME | TABLE
    | TARGET | TEMP | TEMPORARY | TRANSACTION | TRUNCATE | TYPE | UNPIVOT | UNTIL | UPDATE
    | VALUES | VIEW | WHILE
    ;
reservedKeyword
    : ALL | AND | ANY | ARRAY | AS | ASC | AT | BETWEEN | BY | CASE | CAST | COLLATE | CREATE
    | CROSS | CUBE | CURRENT | DEFAULT | DESC | DISTINCT | ELSE | END | EXCEPT | EXCLUDE | EXISTS | EXTRACT | FALSE_ | FOLLOWING
    | FOR | FROM | FULL | GROUP | GROUPING | HAVING | IF | IGNORE | IN | INNER | INTERSECT
    | INTERVAL | INTO | IS | JOIN | LEFT | LIKE | LIMIT | MERGE | NATURAL | NOT | NULL_ | NULLS | OF | ON | OR
    | ORDER | OUTER | OVER | PARTITION | PRECEDING | QUALIFY | RANGE | RECURSIVE | RESPECT
    | RIGHT | ROLLUP | ROWS | SAFE_CAST | SELECT | SET | SOME | STRUCT | TABLESAMPLE | THEN | TO
    | TRUE_ | UNBOUNDED | UNION | UNNEST | USING | WHEN | WHERE | WINDOW | WITH
    ;
