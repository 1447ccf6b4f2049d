import strategy.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('actors', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='actor',
            name='name',
            field=models.CharField(max_length=300, validators=[strategy.validators.validate_single_line], verbose_name='nom'),
        ),
        migrations.AlterField(
            model_name='forum',
            name='title',
            field=models.CharField(max_length=300, validators=[strategy.validators.validate_single_line], verbose_name='intitulé'),
        ),
        migrations.AlterField(
            model_name='historicalactor',
            name='name',
            field=models.CharField(max_length=300, validators=[strategy.validators.validate_single_line], verbose_name='nom'),
        ),
        migrations.AlterField(
            model_name='historicalforum',
            name='title',
            field=models.CharField(max_length=300, validators=[strategy.validators.validate_single_line], verbose_name='intitulé'),
        ),
    ]
