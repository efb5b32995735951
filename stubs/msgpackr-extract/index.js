throw new Error('msgpackr-extract is stubbed out by mediad; msgpackr uses its pure JS path');
