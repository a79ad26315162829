// GoogleSQL (BigQuery standard SQL) lexer, written for shredmit.
//
// Lexical structure follows the BigQuery documentation "Lexical structure and syntax":
// keywords are case-insensitive, reserved keywords cannot be bare identifiers, string and
// bytes literals take the r/b prefixes and the triple-quoted forms, comments are `--`, `#`
// and `/* */`. ANTLR 4.7.2 (Debian's tool) has no caseInsensitive option, so keywords are
// spelled with one-letter fragments.
lexer grammar GoogleSQLLexer;

// ---- Reserved keywords (BigQuery's list; only those the parser uses are tokens) ----
ALL: A L L;
AND: A N D;
ANY: A N Y;
ARRAY: A R R A Y;
AS: A S;
ASC: A S C;
AT: A T;
BETWEEN: B E T W E E N;
BY: B Y;
CASE: C A S E;
CAST: C A S T;
COLLATE: C O L L A T E;
CREATE: C R E A T E;
CROSS: C R O S S;
CUBE: C U B E;
CURRENT: C U R R E N T;
DEFAULT: D E F A U L T;
DESC: D E S C;
DISTINCT: D I S T I N C T;
ELSE: E L S E;
END: E N D;
EXCEPT: E X C E P T;
EXCLUDE: E X C L U D E;
EXISTS: E X I S T S;
EXTRACT: E X T R A C T;
FALSE_: F A L S E;
FOLLOWING: F O L L O W I N G;
FOR: F O R;
FROM: F R O M;
FULL: F U L L;
GROUP: G R O U P;
GROUPING: G R O U P I N G;
HAVING: H A V I N G;
IF: I F;
IGNORE: I G N O R E;
IN: I N;
INNER: I N N E R;
INTERSECT: I N T E R S E C T;
INTERVAL: I N T E R V A L;
INTO: I N T O;
IS: I S;
JOIN: J O I N;
LEFT: L E F T;
LIKE: L I K E;
LIMIT: L I M I T;
MERGE: M E R G E;
NATURAL: N A T U R A L;
NOT: N O T;
NULL_: N U L L;
NULLS: N U L L S;
OF: O F;
ON: O N;
OR: O R;
ORDER: O R D E R;
OUTER: O U T E R;
OVER: O V E R;
PARTITION: P A R T I T I O N;
PRECEDING: P R E C E D I N G;
QUALIFY: Q U A L I F Y;
RANGE: R A N G E;
RECURSIVE: R E C U R S I V E;
RESPECT: R E S P E C T;
RIGHT: R I G H T;
ROLLUP: R O L L U P;
ROWS: R O W S;
SELECT: S E L E C T;
SET: S E T;
SOME: S O M E;
STRUCT: S T R U C T;
TABLESAMPLE: T A B L E S A M P L E;
THEN: T H E N;
TO: T O;
TRUE_: T R U E;
UNBOUNDED: U N B O U N D E D;
UNION: U N I O N;
UNNEST: U N N E S T;
USING: U S I N G;
WHEN: W H E N;
WHERE: W H E R E;
WINDOW: W I N D O W;
WITH: W I T H;

// ---- Non-reserved keywords: tokens the parser needs, usable as identifiers elsewhere ----
AGGREGATE: A G G R E G A T E;
ASSERT: A S S E R T;
BEGIN: B E G I N;
BIGNUMERIC: B I G N U M E R I C;
BREAK: B R E A K;
CALL: C A L L;
CASCADE: C A S C A D E;
CLONE: C L O N E;
CLUSTER: C L U S T E R;
COMMIT: C O M M I T;
CONNECTION: C O N N E C T I O N;
CONTINUE: C O N T I N U E;
COPY: C O P Y;
CORRESPONDING: C O R R E S P O N D I N G;
DATA: D A T A;
DATE: D A T E;
DATETIME: D A T E T I M E;
DECLARE: D E C L A R E;
DELETE: D E L E T E;
DETERMINISTIC: D E T E R M I N I S T I C;
DO: D O;
DROP: D R O P;
ELSEIF: E L S E I F;
ERROR: E R R O R;
EXCEPTION: E X C E P T I O N;
EXECUTE: E X E C U T E;
EXPORT: E X P O R T;
EXTERNAL: E X T E R N A L;
FIRST: F I R S T;
FORMAT: F O R M A T;
FUNCTION: F U N C T I O N;
IMMEDIATE: I M M E D I A T E;
INCLUDE: I N C L U D E;
INOUT: I N O U T;
INSERT: I N S E R T;
ITERATE: I T E R A T E;
JSON: J S O N;
LANGUAGE: L A N G U A G E;
LAST: L A S T;
LEAVE: L E A V E;
LOOP: L O O P;
MATCHED: M A T C H E D;
MATERIALIZED: M A T E R I A L I Z E D;
MAX: M A X;
MESSAGE: M E S S A G E;
MIN: M I N;
NAME: N A M E;
NUMERIC: N U M E R I C;
OFFSET: O F F S E T;
OPTIONS: O P T I O N S;
ORDINAL: O R D I N A L;
OUT: O U T;
PERCENT: P E R C E N T;
PIVOT: P I V O T;
PROCEDURE: P R O C E D U R E;
RAISE: R A I S E;
REPEAT: R E P E A T;
REPLACE: R E P L A C E;
RESTRICT: R E S T R I C T;
RETURN: R E T U R N;
RETURNS: R E T U R N S;
ROLLBACK: R O L L B A C K;
ROW: R O W;
SAFE_CAST: S A F E '_' C A S T;
SAFE_OFFSET: S A F E '_' O F F S E T;
SAFE_ORDINAL: S A F E '_' O R D I N A L;
SCHEMA: S C H E M A;
SETS: S E T S;
SNAPSHOT: S N A P S H O T;
SOURCE: S O U R C E;
STRICT: S T R I C T;
SYSTEM: S Y S T E M;
SYSTEM_TIME: S Y S T E M '_' T I M E;
TABLE: T A B L E;
TARGET: T A R G E T;
TEMP: T E M P;
TEMPORARY: T E M P O R A R Y;
TIME: T I M E;
TIMESTAMP: T I M E S T A M P;
TRANSACTION: T R A N S A C T I O N;
TRUNCATE: T R U N C A T E;
TYPE: T Y P E;
UNKNOWN: U N K N O W N;
UNPIVOT: U N P I V O T;
UNTIL: U N T I L;
UPDATE: U P D A T E;
VALUE: V A L U E;
VALUES: V A L U E S;
VIEW: V I E W;
WHILE: W H I L E;
ZONE: Z O N E;

// ---- Literals ----
// A string or bytes literal: optional r/b prefix, then one of four quote forms. In raw strings
// a backslash still pairs with the next character for lexing (BigQuery: a raw string cannot
// end with an odd number of backslashes), so one rule serves both.
BYTES_LITERAL: (B | R B | B R) QUOTED_BODY;
STRING_LITERAL: R? QUOTED_BODY;

INTEGER_LITERAL: DIGIT+ | '0' [xX] HEX_DIGIT+;
FLOAT_LITERAL
    : DIGIT+ '.' DIGIT* EXPONENT?
    | '.' DIGIT+ EXPONENT?
    | DIGIT+ EXPONENT
    ;

// ---- Identifiers and parameters ----
IDENTIFIER: [a-zA-Z_] [a-zA-Z_0-9]*;
QUOTED_IDENTIFIER: '`' ( '\\' . | ~[`\\\r\n] )+ '`';
SYSTEM_VARIABLE: '@@' [a-zA-Z_] [a-zA-Z_0-9]* ('.' [a-zA-Z_] [a-zA-Z_0-9]*)*;
NAMED_PARAMETER: '@' ([a-zA-Z_] [a-zA-Z_0-9]* | '`' ( '\\' . | ~[`\\\r\n] )+ '`');
QUESTION: '?';

// ---- Punctuation and operators ----
// `>>` and `<<` are not tokens: the parser reads them as two `>`/`<`, so that
// `ARRAY<STRUCT<a INT64>>` closes two type brackets.
LPAREN: '(';
RPAREN: ')';
LBRACKET: '[';
RBRACKET: ']';
LBRACE: '{';
RBRACE: '}';
COMMA: ',';
DOT: '.';
SEMI: ';';
COLON: ':';
STAR: '*';
SLASH: '/';
PLUS: '+';
MINUS: '-';
CONCAT: '||';
PIPE: '|';
AMPERSAND: '&';
CARET: '^';
TILDE: '~';
EQ: '=';
NEQ: '!=' | '<>';
LT: '<';
LE: '<=';
GT: '>';
GE: '>=';
ARROW: '->';
FAT_ARROW: '=>';

// ---- Trivia ----
// Skipped rather than sent on the hidden channel: nothing reads them, and not creating about half
// the tokens of a typical file makes parsing faster.
LINE_COMMENT: ('--' | '#') ~[\r\n]* -> skip;
BLOCK_COMMENT: '/*' .*? '*/' -> skip;
WS: [ \t\r\n\f]+ -> skip;

// Anything else is one bad character; the parser reports it with its location.
UNEXPECTED_CHARACTER: .;

// ---- Fragments ----
fragment QUOTED_BODY
    : '\'\'\'' ( '\\' . | ~'\\' )*? '\'\'\''
    | '"""' ( '\\' . | ~'\\' )*? '"""'
    | '\'' ( '\\' . | ~['\\\r\n] )* '\''
    | '"' ( '\\' . | ~["\\\r\n] )* '"'
    ;
fragment DIGIT: [0-9];
fragment HEX_DIGIT: [0-9a-fA-F];
fragment EXPONENT: [eE] [+-]? DIGIT+;
fragment A: [aA];
fragment B: [bB];
fragment C: [cC];
fragment D: [dD];
fragment E: [eE];
fragment F: [fF];
fragment G: [gG];
fragment H: [hH];
fragment I: [iI];
fragment J: [jJ];
fragment K: [kK];
fragment L: [lL];
fragment M: [mM];
fragment N: [nN];
fragment O: [oO];
fragment P: [pP];
fragment Q: [qQ];
fragment R: [rR];
fragment S: [sS];
fragment T: [tT];
fragment U: [uU];
fragment V: [vV];
fragment W: [wW];
fragment X: [xX];
fragment Y: [yY];
fragment Z: [zZ];
