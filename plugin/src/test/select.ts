import { fireEvent, screen } from '@testing-library/react';

/** Opens a @grafana/ui Select by its input and clicks the option with this label. */
export async function chooseOption(input: HTMLElement, label: string): Promise<void> {
  fireEvent.keyDown(input, { key: 'ArrowDown' });
  const option = await screen.findByRole('option', { name: new RegExp(`^${label.replace(/[$()]/g, '\\$&')}`) });
  fireEvent.click(option);
}
