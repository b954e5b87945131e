import { Tokenizer, TypeGuards } from 'liquidjs';

/**
 * Why a `when` expression is malformed, or null when it reads well. LiquidJS evaluates some malformed expressions
 * without complaint (`row.lang ==` is simply false, which would skip every row in silence), so the shape is checked
 * once when the prompts are loaded: values joined by binary operators (`==`, `and`, `contains`, ...), each value
 * optionally after `not`, and nothing left over.
 */
export function checkWhenExpression(expression: string): string | null {
  let tokens;
  const tokenizer = new Tokenizer(expression);
  try {
    tokens = [...tokenizer.readExpressionTokens()];
    tokenizer.skipBlank();
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'cannot be read';
  }
  if (!tokenizer.end()) return `cannot read "${expression.slice(tokenizer.p)}"`;
  let expectValue = true;
  for (const token of tokens) {
    const isOperator = TypeGuards.isOperatorToken(token);
    if (expectValue) {
      if (isOperator && token.operator === 'not') continue;
      if (isOperator) return `an operator "${token.operator}" where a value should be`;
      expectValue = false;
    } else {
      if (!isOperator) return `two values without an operator between them (at "${token.getText()}")`;
      expectValue = true;
    }
  }
  return expectValue ? 'the expression ends where a value should be' : null;
}
